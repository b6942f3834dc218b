// A real pseudo-terminal for CLI tests: a tmux server of the test's own (its socket in the test's
// temp folder, removed with it; no user configuration) with one pane running a command. The screen is read with capture-pane, keys are
// typed with send-keys, and killing the server closes the terminal, as closing a tmux window or
// an ssh session does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from './stack-cli.js';
import { waitFor } from './wait.js';

/** The holder and what runs in its group (the pane's session). */
const killGroup = (pid: number): void => {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

/**
 * Runs in the pane as its session leader, so the kernel's SIGHUP reaches it rather than the
 * command: with `forward` it passes the SIGHUP on (as an interactive shell does to its jobs);
 * without, the command learns that the terminal is gone only from a write failing (EIO). It
 * records how the command ended, which nobody could read from the closed terminal.
 */
const HOLDER = `
const { spawn } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const [statusFile, forward, ...command] = process.argv.slice(2);
const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
process.on('SIGHUP', () => { if (forward === 'forward') child.kill('SIGHUP'); });
// Ctrl+C goes to the whole foreground group, this holder included: only the command answers it.
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => {
  writeFileSync(statusFile, JSON.stringify({ code, signal }));
  process.kill(process.pid, 'SIGKILL');
});
`;

export interface Ended {
  code: number | null;
  signal: string | null;
}

function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export class Terminal {
  private readonly dir = mkdtempSync(join(tmpdir(), 'stack-tty-'));
  private readonly socket = join(this.dir, 'tmux.socket');
  private readonly statusFile = join(this.dir, 'ended.json');

  /**
   * Opens a terminal (100×30) running `command` in `cwd`. `stderrTo` sends the command's stderr to
   * a file instead; `hangup` says whether SIGHUP reaches the command when the terminal closes.
   */
  constructor(command: string[], options: { cwd: string; env?: Record<string, string>; stderrTo?: string; hangup?: 'forward' | 'keep' }) {
    const holder = join(this.dir, 'hold.cjs');
    writeFileSync(holder, HOLDER);
    // A pane that exits stays on screen, to be read, with its exit status.
    writeFileSync(join(this.dir, 'tmux.conf'), 'set -g remain-on-exit on\nset -g status off\n');
    const line = ['exec', ...[process.execPath, holder, this.statusFile, options.hangup ?? 'forward', ...command].map(quote)].join(' ');
    const env = Object.entries(options.env ?? {}).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    this.tmux(['new-session', '-d', '-s', 'test', '-x', '100', '-y', '30', '-c', options.cwd, ...env, options.stderrTo ? `${line} 2>${quote(options.stderrTo)}` : line]);
    this.holderPid = Number(this.tmux(['display-message', '-p', '-t', 'test', '#{pane_pid}']).trim()) || undefined;
  }

  /** The pane's first process: the holder, which the command's exit ends. */
  private readonly holderPid: number | undefined;

  /** The visible screen, one string per row, trailing blanks trimmed. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', 'test']);
  }

  /** Waits until the screen matches `pattern`; returns the match (its groups read values off the screen). */
  async waitForScreen(pattern: RegExp, timeoutMs = 15_000, what = `the screen to show ${pattern}`): Promise<RegExpMatchArray> {
    return waitFor(() => this.screen().match(pattern), timeoutMs, what).catch((error: Error) => {
      throw new Error(`${error.message}\nscreen:\n${this.screen()}`);
    });
  }

  /** Whether the pane shows the alternate screen (a full-screen program's), as tmux tracks it. */
  alternateScreen(): boolean {
    return this.tmux(['display-message', '-p', '-t', 'test', '#{alternate_on}']).trim() === '1';
  }

  /** Resizes the terminal, as dragging its window's corner does: the command gets SIGWINCH. */
  resize(columns: number, rows: number): void {
    this.tmux(['resize-window', '-t', 'test', '-x', String(columns), '-y', String(rows)]);
  }

  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'test', ...keys]);
  }

  /** How the command ended, once it has (recorded by the holder). */
  ended(): Ended | undefined {
    try {
      return JSON.parse(readFileSync(this.statusFile, 'utf8')) as Ended;
    } catch {
      return undefined;
    }
  }

  /** Closes the terminal: every process on it sees a hang-up. */
  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { encoding: 'utf8' });
  }

  /**
   * Closes the terminal and removes its folder once the holder has ended: the hang-up ends it,
   * and it writes how the command ended into that folder as it goes. One still there after the
   * deadline (a command that ignores the hang-up) is killed, with its command.
   */
  async dispose(): Promise<void> {
    const holder = this.holderPid;
    this.close();
    if (holder !== undefined) {
      const gone = await waitFor(() => !isAlive(holder), 10_000, "the terminal's holder to end").then(() => true, () => false);
      if (!gone) killGroup(holder);
      await waitFor(() => !isAlive(holder), 5_000, "the terminal's holder to be killed");
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private tmux(args: string[]): string {
    const result = spawnSync('tmux', ['-S', this.socket, '-f', join(this.dir, 'tmux.conf'), ...args], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tmux ${args[0]} failed: ${result.stderr}`);
    return result.stdout;
  }
}
