import pc from 'picocolors';
import type { LogsRequest } from '../model/provider.js';
import type { LogLine } from '../model/log-line.js';

const PALETTE = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red'] as const;

/** Asks the service's provider for its logs (`Provider.logs`). */
export type LogSource = (name: string, request: LogsRequest) => Promise<unknown>;

/**
 * Follows the logs of several services at once for `stack up`, each line prefixed with its
 * service name (coloured per service on a terminal). Services can be added while it runs (hot
 * add); each provider follows its own across restarts and rotations.
 */
export class LogStream {
  /** Each service's follow, until close() aborts them. */
  private readonly following = new Map<string, Promise<unknown>>();
  private readonly prefixes = new Map<string, string>();
  private readonly abort = new AbortController();
  private width = 0;

  constructor(
    private readonly source: LogSource,
    private readonly write: (text: string) => void,
    private readonly color: boolean,
    private readonly pollMs = 100,
    /** Told when a service's logs cannot be followed (docker gone); the rest go on. */
    private readonly onError: (name: string, error: unknown) => void = () => undefined,
    /** Lines stamped before this are not shown, where the provider stamps them (`up`'s start). */
    private readonly since = new Date(),
  ) {}

  /**
   * Follows these services from their logs' current end (or from the start, for new ones);
   * resolves once each has taken its place, so nothing they print from then on is missed.
   */
  async follow(names: readonly string[], fromStart = false): Promise<void> {
    for (const name of names) {
      if (this.following.has(name) || this.abort.signal.aborted) continue;
      this.addPrefix(name);
      let caughtUp!: () => void;
      const ready = new Promise<void>((resolve) => (caughtUp = resolve));
      const request: LogsRequest = {
        lines: fromStart ? Infinity : 0,
        since: this.since,
        follow: true,
        signal: this.abort.signal,
        pollMs: this.pollMs,
        caughtUp,
        write: (lines) => {
          const c = pc.createColors(this.color);
          const prefix = this.prefixOf(name);
          const bar = (line: LogLine) => (line.stream === 'stderr' ? c.red('!') : '|');
          this.write(lines.map((line) => `${prefix} ${bar(line)} ${line.stream === 'stack' ? c.dim(line.text) : line.text}\n`).join(''));
        },
      };
      const done = this.source(name, request).catch((error: unknown) => {
        if (!this.abort.signal.aborted) this.onError(name, error);
      });
      this.following.set(name, done);
      await Promise.race([ready, done]);
    }
  }

  /** Reads what is left, then stops. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.following.values());
  }

  private addPrefix(name: string): void {
    if (this.prefixes.has(name)) return;
    const c = pc.createColors(this.color);
    this.width = Math.max(this.width, name.length);
    this.prefixes.set(name, c[PALETTE[this.prefixes.size % PALETTE.length] as (typeof PALETTE)[number]](name));
  }

  private prefixOf(name: string): string {
    return `${this.prefixes.get(name)}${' '.repeat(Math.max(0, this.width - name.length))}`;
  }
}
