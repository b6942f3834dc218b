import pc from 'picocolors';
import { LogFollower } from '../providers/process/follow-log.js';
import { logFileOf } from '../providers/process/logs.js';

const PALETTE = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red'] as const;

/**
 * Follows the logs of several services at once for `stack up`, each line prefixed with its
 * service name (coloured per service on a terminal). Services can be added while it runs (hot
 * add); each log is followed across rotations by LogFollower.
 */
export class LogStream {
  private readonly followers = new Map<string, LogFollower>();
  private readonly prefixes = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  /** The read in flight: close() waits for it, or it would read files close() closed under it. */
  private reading?: Promise<void>;
  private width = 0;

  constructor(
    private readonly stateDir: string,
    private readonly write: (text: string) => void,
    private readonly color: boolean,
    private readonly pollMs = 100,
  ) {}

  /** Follows these services from their logs' current end (or from the start, for new ones). */
  async follow(names: readonly string[], fromStart = false): Promise<void> {
    for (const name of names) {
      if (this.followers.has(name)) continue;
      const file = logFileOf(this.stateDir, name);
      this.followers.set(name, fromStart ? new LogFollower(file, 0) : (await LogFollower.atEnd(file)).follower);
      this.addPrefix(name);
    }
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  /** A line from elsewhere (`docker compose logs`), prefixed like the rest. */
  writeLine(name: string, line: string): void {
    this.addPrefix(name);
    this.write(`${this.prefixOf(name)} ${line}\n`);
  }

  /** Reads what is left, then stops. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
    await this.poll();
    for (const [name, follower] of this.followers) {
      const partial = follower.takePartial();
      if (partial !== undefined) this.write(`${this.prefixOf(name)} ${partial}\n`);
      await follower.close();
    }
  }

  private poll(): Promise<void> {
    this.reading ??= this.readAll().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readAll(): Promise<void> {
    for (const [name, follower] of this.followers) {
      const lines = await follower.read();
      const prefix = this.prefixOf(name);
      if (lines.length > 0) this.write(lines.map((line) => `${prefix} ${line}\n`).join(''));
    }
  }

  private addPrefix(name: string): void {
    if (this.prefixes.has(name)) return;
    const c = pc.createColors(this.color);
    this.width = Math.max(this.width, name.length);
    this.prefixes.set(name, c[PALETTE[this.prefixes.size % PALETTE.length] as (typeof PALETTE)[number]](name));
  }

  private prefixOf(name: string): string {
    return `${this.prefixes.get(name)}${' '.repeat(Math.max(0, this.width - name.length))} |`;
  }
}
