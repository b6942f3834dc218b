import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runStackCommand, type StackCommand } from '../../api/stack-command.js';

/**
 * The stack commands `stack top`'s keys run, one at a time, as a person would type them (`-f`
 * the stack.yaml top was started on, resolved once: a file briefly gone during a `git stash`
 * must not send a verb to a parent folder's stack).
 */
export class Runs {
  private running?: StackCommand;
  private starting = false;
  private interrupted = false;
  private planDir?: string;
  private current?: Promise<number>;

  constructor(private readonly file: string) {}

  /** A run is starting or under way. */
  get active(): boolean {
    return this.starting || this.running !== undefined;
  }

  /** Runs `stack <args> -f <file>`, its output line by line; resolves to its exit code. */
  run(args: readonly string[], onLine: (line: string) => void): Promise<number> {
    this.starting = true;
    const done = (async () => {
      try {
        const command = await runStackCommand([process.execPath, process.argv[1] as string], [...args, '-f', this.file], { cwd: dirname(this.file), onLine });
        this.running = command;
        // Quit came while it was being spawned: it is interrupted as soon as it exists.
        if (this.interrupted) command.interrupt();
        return await command.done;
      } finally {
        this.starting = false;
        this.running = undefined;
        this.interrupted = false;
      }
    })();
    this.current = done;
    return done;
  }

  /**
   * Interrupts the run as Ctrl+C would (it stops, records what it did, exits 130), once: a second
   * SIGINT would make it quit at once, unrecorded. Says whether this call asked.
   */
  interrupt(): boolean {
    if (!this.active || this.interrupted) return false;
    this.interrupted = true;
    this.running?.interrupt();
    return true;
  }

  /** Resolves once no run is under way. */
  async idle(): Promise<void> {
    await this.current?.catch(() => undefined);
  }

  /** Where `p` saves the plan that `a` applies. */
  planFile(): string {
    this.planDir ??= mkdtempSync(join(tmpdir(), 'stack-top-'));
    return join(this.planDir, 'plan.json');
  }

  dispose(): void {
    if (this.planDir) rmSync(this.planDir, { recursive: true, force: true });
  }
}

/** The line a finished run leaves on the last line: its last word, and the commit it made (`--commit`). */
export function summaryOf(label: string, code: number, lines: readonly string[], failed: boolean): string {
  const committed = lines.find((line) => line.startsWith('Committed '));
  const said = [...lines].reverse().find((line) => line.trim() !== '' && !line.startsWith('hint:') && line !== committed);
  const last = [said, committed].filter((line): line is string => line !== undefined).map((line) => line.trim()).join(' · ');
  return `${label}: ${failed ? `exit ${code}` : 'done'}${last ? ` · ${last}` : ''}`;
}
