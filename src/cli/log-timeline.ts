import type { LogLine } from '../model/log-line.js';

export interface TimedLine extends LogLine {
  service: string;
}

/**
 * Several services' lines as one timeline, ordered by when each was read. Each service's lines
 * come in order already; a line with no time (a log older than framing, a provider that does
 * not stamp) keeps its place after the line before it.
 *
 * The tails are merged whole (`merge`). Followed lines (`add`) wait `holdMs` before they are
 * let out in order (`due`): each service's log is polled on its own, so a line read late may
 * be older than one already read from another service; holding each line for a poll interval
 * lets the older one overtake it.
 */
export class LogTimeline {
  private pending: (TimedLine & { key: string; arrived: number })[] = [];
  private readonly lastKey = new Map<string, string>();

  constructor(private readonly holdMs: number) {}

  /** Merges whole tails: every service's lines in one order. */
  merge(tails: readonly (readonly TimedLine[])[]): TimedLine[] {
    const keyed = tails.flatMap((lines) => lines.map((line) => ({ line, key: this.keyOf(line) })));
    // Stable: equal times keep the services' order, and each service its lines' order.
    return keyed.sort(byKey).map(({ line }) => line);
  }

  /** A followed service's new lines, held until due. */
  add(lines: readonly TimedLine[], now: number): void {
    for (const line of lines) this.pending.push({ ...line, key: this.keyOf(line), arrived: now });
  }

  /** The held lines whose time has come (all of them with `all`), in order. */
  due(now: number, all = false): TimedLine[] {
    if (this.pending.length === 0) return [];
    const ready = all ? this.pending : this.pending.filter((line) => now - line.arrived >= this.holdMs);
    if (ready.length === 0) return [];
    // Anything held that sorts before a released line goes with it: order wins over waiting.
    const last = ready.reduce((key, line) => (line.key > key ? line.key : key), '');
    const out = all ? ready : this.pending.filter((line) => line.key <= last);
    const gone = new Set(out);
    this.pending = this.pending.filter((line) => !gone.has(line));
    return out.sort(byKey).map(({ key: _key, arrived: _arrived, ...line }) => line);
  }

  // A line with no time sorts right after its service's line before it.
  private keyOf(line: TimedLine): string {
    const key = line.at ?? this.lastKey.get(line.service) ?? '';
    this.lastKey.set(line.service, key);
    return key;
  }
}

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
