import { open, stat } from 'node:fs/promises';
import pc from 'picocolors';
import { logFileOf } from '../providers/process/logs.js';

const PALETTE = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red'] as const;

/**
 * Follows the logs of several services at once, each line prefixed with its service name
 * (coloured per service on a terminal). Services can be added while it runs (hot add), and
 * a log that shrank was rotated: it is read again from its start.
 */
export class LogStream {
  private readonly offsets = new Map<string, number>();
  private readonly partial = new Map<string, string>();
  private readonly prefixes = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private reading = false;
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
      if (this.offsets.has(name)) continue;
      this.offsets.set(name, fromStart ? 0 : await sizeOf(logFileOf(this.stateDir, name)));
      this.width = Math.max(this.width, name.length);
      const c = pc.createColors(this.color);
      this.prefixes.set(name, c[PALETTE[this.prefixes.size % PALETTE.length] as (typeof PALETTE)[number]](name));
    }
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  /** Reads what is left, then stops. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.poll();
  }

  private async poll(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      for (const name of this.offsets.keys()) await this.readNew(name);
    } finally {
      this.reading = false;
    }
  }

  private async readNew(name: string): Promise<void> {
    const file = logFileOf(this.stateDir, name);
    const size = await sizeOf(file);
    let offset = this.offsets.get(name) ?? 0;
    if (size < offset) offset = 0;
    if (size === offset) return;
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) return;
    try {
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      this.offsets.set(name, offset + bytesRead);
      const lines = ((this.partial.get(name) ?? '') + buffer.subarray(0, bytesRead).toString('utf8')).split('\n');
      this.partial.set(name, lines.pop() ?? '');
      const prefix = `${this.prefixes.get(name)}${' '.repeat(this.width - name.length)} |`;
      if (lines.length > 0) this.write(lines.map((line) => `${prefix} ${line}\n`).join(''));
    } finally {
      await handle.close();
    }
  }
}

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((info) => info.size, () => 0);
}
