import pc from 'picocolors';
import { formatDuration } from '../config/units.js';
import { withoutServicePrefix } from '../model/errors.js';
import type { ProgressEvent, ServiceOutcome, UnitOp } from '../model/outcome.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

const verbs: Record<UnitOp, [string, string]> = {
  install: ['installing', 'installed'],
  start: ['starting', 'started'],
  restart: ['restarting', 'restarted'],
  stop: ['stopping', 'stopped'],
  uninstall: ['uninstalling', 'uninstalled'],
};

function describe(ops: readonly UnitOp[], done: boolean): string {
  const words = ops.map((op) => verbs[op][done ? 1 : 0]);
  return ops.length === 2 && ops[0] === 'install' && ops[1] === 'start' ? words[1] as string : words.join(', ');
}

/** One line for a finished service: `✓ web started (120 ms)`. */
export function outcomeLine(outcome: ServiceOutcome, color: boolean): string {
  const c = pc.createColors(color);
  const duration = c.dim(`(${formatDuration(outcome.durationMs)})`);
  // Provider errors name their service already ("web: not ready: …"); the line names it once.
  const error = withoutServicePrefix(outcome.service, outcome.error ?? '');
  switch (outcome.status) {
    case 'done':
      return `${c.green('✓')} ${outcome.service} ${describe(outcome.ops, true)} ${duration}${outcome.note === undefined ? '' : `: ${c.yellow(outcome.note)}`}`;
    case 'failed':
      return `${c.red('✗')} ${outcome.service} ${outcome.ops.join(' + ')} failed: ${error}`;
    case 'skipped':
      return `${c.yellow('-')} ${outcome.service} skipped: ${error}`;
    case 'interrupted':
      return `${c.yellow('!')} ${outcome.service} interrupted${outcome.note === undefined ? '' : `: ${outcome.note}`}`;
  }
}

/**
 * Shows progress: on a terminal one live line per service in flight (spinner, then ✓ or ✗);
 * elsewhere a plain line per service as it finishes. A failure's line goes to `errors` (stderr),
 * so a script that keeps only stderr still reads why; it is said there once, never again after.
 */
export class ProgressView {
  private readonly active = new Map<string, { ops: UnitOp[]; since: number }>();
  private frame = 0;
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private live: boolean,
    private readonly color: boolean,
    private readonly errors: NodeJS.WritableStream = stream,
  ) {}

  readonly onProgress = (event: ProgressEvent): void => {
    if (event.type === 'begin') {
      this.active.set(event.service, { ops: event.ops, since: Date.now() });
      if (this.live) this.ensureTimer();
    } else {
      this.active.delete(event.outcome.service);
      this.print(outcomeLine(event.outcome, this.color), event.outcome.status === 'failed' ? this.errors : this.stream);
    }
    if (this.live) this.redraw();
  };

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.clear();
  }

  /**
   * Clears the live lines and prints plain lines from now on: others are about to write to the
   * terminal (Ctrl+C's notice), and redrawing over their lines would leave spinner frames behind.
   */
  stopLive(): void {
    this.close();
    this.live = false;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.frame = (this.frame + 1) % FRAMES.length;
      this.redraw();
    }, 80);
    this.timer.unref();
  }

  private print(line: string, to: NodeJS.WritableStream): void {
    if (this.live) this.clear();
    to.write(`${line}\n`);
  }

  private clear(): void {
    // From the start of the line: the cursor need not be at its start (a `^C` the terminal echoed).
    if (this.drawn > 0) this.stream.write(`\r\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const c = pc.createColors(this.color);
    const lines = [...this.active].map(([name, { ops, since }]) =>
      `${c.cyan(FRAMES[this.frame] as string)} ${name} ${describe(ops, false)}… ${c.dim(formatDuration(Date.now() - since))}`,
    );
    if (lines.length > 0) this.stream.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
