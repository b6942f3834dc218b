import { stampMicros, type LogLine } from '../model/log-line.js';
import { HeadQueue } from './head-queue.js';

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

  /**
   * Merges whole tails, each service's lines as read (in order already): a k-way merge, handed
   * to `emit` in batches, so a million lines are neither sorted nor copied nor printed as one
   * string. Equal times keep the services' order, and each service its lines' order.
   */
  merge(tails: ReadonlyMap<string, readonly LogLine[]>, emit: (lines: TimedLine[]) => void): void {
    const heads: Head[] = [];
    for (const [service, lines] of tails) {
      if (lines.length === 0) continue;
      const last = this.lastKey.get(service);
      const head = { service, lines, index: 0, key: last === undefined ? -Infinity : stampMicros(last), order: heads.length };
      head.key = keyAfter(head.key, lines[0] as LogLine);
      heads.push(head);
    }
    const queue = new HeadQueue(heads, before);
    let batch: TimedLine[] = [];
    for (let head = queue.first(); head !== undefined; head = queue.first()) {
      const line = head.lines[head.index] as LogLine;
      // Named fields, not a spread: this runs once per line of every tail.
      batch.push({ text: line.text, stream: line.stream, at: line.at, continues: line.continues, service: head.service });
      if (batch.length === MERGE_BATCH) {
        emit(batch);
        batch = [];
      }
      head.index += 1;
      if (head.index < head.lines.length) {
        head.key = keyAfter(head.key, head.lines[head.index] as LogLine);
        queue.advanced();
      } else {
        const stamped = lastStamp(head.lines);
        if (stamped !== undefined) this.lastKey.set(head.service, stamped);
        queue.removeFirst();
      }
    }
    if (batch.length > 0) emit(batch);
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

/** Lines merged and printed at a time. */
const MERGE_BATCH = 4096;

/** A service's tail in the merge: its next line's index and sort key, and its place among the services. */
interface Head {
  service: string;
  lines: readonly LogLine[];
  index: number;
  /** The line's time in microseconds; a line with no time (or an unreadable one) keeps the key of the line before it. */
  key: number;
  order: number;
}

function lastStamp(lines: readonly LogLine[]): string | undefined {
  for (let at = lines.length - 1; at >= 0; at -= 1) if (lines[at]?.at !== undefined) return lines[at]?.at;
  return undefined;
}

function keyAfter(previous: number, line: LogLine): number {
  const key = line.at === undefined ? Number.NaN : stampMicros(line.at);
  return Number.isNaN(key) ? previous : key;
}

const before = (a: Head, b: Head): boolean => a.key < b.key || (a.key === b.key && a.order < b.order);

