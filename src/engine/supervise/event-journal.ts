import { constants } from 'node:fs';
import { rename, type FileHandle } from 'node:fs/promises';
import { openOwnFile } from '../../os/safe-file.js';
import type { ControllerEvent } from './events.js';

/** An event as the journal keeps it: with the wall time it happened. */
export type JournalEvent = { at: string } & ControllerEvent;

/** Events kept in memory (and read back when a controller begins): the newest. */
export const KEPT_EVENTS = 10_000;
/** `events.log` is moved to `events.log.1` (replacing it) past this size: at most twice this on disk. */
export const JOURNAL_MAX_BYTES = 2 * 1024 * 1024;

export interface EventQuery {
  /** Only events at or after this wall time (ISO 8601). */
  since?: string;
  /** Only events about these services (events about none, such as `plan`, are left out). */
  services?: readonly string[];
}

/**
 * The controller's events, kept: the newest in memory for `GET /v1/events?since=`, and appended
 * to `.stack/events.log` (NDJSON, `{ at, type, … }`) so that a service's exits, restarts and probe
 * results outlive the controller (the dashboard's service history, `stack events --since`
 * without a controller). Lines are written together once per turn of the event loop; a write
 * that fails (disk full) is said once and the journal goes on in memory.
 */
export class EventJournal {
  private readonly kept: JournalEvent[];
  private waiting: string[] = [];
  private flushing?: Promise<void>;
  private handle?: FileHandle;
  private size = 0;
  private failed = false;

  private constructor(
    private readonly file: string,
    kept: JournalEvent[],
    private readonly say: (line: string) => void,
  ) {
    this.kept = kept;
  }

  /** The journal of `file`, its newest events read back. */
  static async open(file: string, say: (line: string) => void): Promise<EventJournal> {
    return new EventJournal(file, await readJournal(file), say);
  }

  record(event: ControllerEvent, at: string): void {
    const entry = { at, ...event } as JournalEvent;
    this.kept.push(entry);
    if (this.kept.length > KEPT_EVENTS * 1.1) this.kept.splice(0, this.kept.length - KEPT_EVENTS);
    if (this.failed) return;
    this.waiting.push(`${JSON.stringify(entry)}\n`);
    if (this.waiting.length === 1 && !this.flushing) setImmediate(() => void this.flush());
  }

  /** The kept events `query` asks for, oldest first. */
  query(query: EventQuery = {}): JournalEvent[] {
    return selectEvents(this.kept.slice(-KEPT_EVENTS), query);
  }

  /** Writes what waits; resolves once it is on disk (or failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.waiting.length === 0 || this.failed) return;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  private async write(): Promise<void> {
    const text = this.waiting.join('');
    this.waiting = [];
    try {
      if (this.handle && this.size + text.length > JOURNAL_MAX_BYTES) {
        await this.handle.close();
        this.handle = undefined;
        await rename(this.file, `${this.file}.1`);
      }
      const opened = !this.handle;
      this.handle ??= await openOwnFile(this.file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT);
      if (opened) this.size = (await this.handle.stat()).size;
      // A line a crash cut short is ended first: the next event is a line of its own.
      const whole = opened && this.size > 0 && !(await endsLine(this.handle, this.size)) ? `\n${text}` : text;
      await this.handle.write(whole);
      this.size += Buffer.byteLength(whole);
    } catch (error) {
      this.failed = true;
      this.waiting = [];
      this.say(`events are no longer written to ${this.file} (${error instanceof Error ? error.message : String(error)}); the controller keeps the newest in memory`);
    }
  }
}

async function endsLine(handle: FileHandle, size: number): Promise<boolean> {
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

/** The newest events of a journal on disk (`events.log.1`, then `events.log`), as `query` asks; none when there is none. */
export async function readJournal(file: string, query: EventQuery = {}): Promise<JournalEvent[]> {
  const events = [...(await readLines(`${file}.1`)), ...(await readLines(file))];
  return selectEvents(events.slice(-KEPT_EVENTS), query);
}

export function selectEvents(events: readonly JournalEvent[], { since, services }: EventQuery): JournalEvent[] {
  const after = since === undefined ? undefined : Date.parse(since);
  return events.filter(
    (event) => (after === undefined || Date.parse(event.at) >= after) && (services === undefined || services.length === 0 || ('service' in event && services.includes(event.service))),
  );
}

/** A journal file's events, its last JOURNAL_MAX_BYTES at most; a line cut by a crash or not an event is skipped. */
async function readLines(file: string): Promise<JournalEvent[]> {
  let handle: FileHandle;
  try {
    handle = await openOwnFile(file, constants.O_RDONLY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, JOURNAL_MAX_BYTES * 2);
    const bytes = Buffer.alloc(length);
    const { bytesRead } = await handle.read(bytes, 0, length, size - length);
    const lines = bytes.subarray(0, bytesRead).toString('utf8').split('\n');
    if (length < size) lines.shift();
    return lines.flatMap((line) => parsed(line));
  } finally {
    await handle.close();
  }
}

function parsed(line: string): JournalEvent[] {
  if (line === '') return [];
  try {
    const value = JSON.parse(line) as Partial<JournalEvent>;
    return typeof value.at === 'string' && typeof value.type === 'string' ? [value as JournalEvent] : [];
  } catch {
    return [];
  }
}
