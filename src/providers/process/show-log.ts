// `logs` of the providers whose output stack writes to `.stack/logs/<service>.log` (process,
// plugin, exec): the file's tail, then (following) what is appended, across rotations.
import { constants } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lineFilter, parseLogLine, stampOf, untilStamp, type LogLine } from '../../model/log-line.js';
import type { LogsRequest } from '../../model/provider.js';
import type { Redact } from '../../model/redact.js';
import { pause } from '../../os/pause.js';
import { assertOwnDir, assertOwnFile, openOwnFile } from '../../os/safe-file.js';
import { LogFollower } from './follow-log.js';
import { readFully, readLogIndex } from './log-index.js';
import { offsetOfTime } from './log-times.js';
import { MAX_TAIL_BYTES, outputWritten, readLogTail } from './logs.js';

const DEFAULT_POLL_MS = 200;
/** A whole log is read and shown in pieces of this size, never held whole. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Writes the last `request.lines` lines of `file` that pass its `since`, `until` and `match`
 * (of this run only, with `request.run`), then with `follow` every such line appended until the
 * signal aborts. The follower takes its place first and the tail is read up to exactly there:
 * no line is shown twice or missed between the two. Every line's text passes `redact`: a
 * service may print its own secrets.
 */
export async function showLogFile(file: string, given: LogsRequest, redact: Redact): Promise<undefined> {
  // A pattern is matched on the text as shown: a secret's value is no way to probe for it.
  const keep = lineFilter(given);
  const shown = (raw: string): LogLine => {
    const line = parseLogLine(raw);
    // A line of its own, just parsed: redacted in place rather than copied.
    line.text = redact(line.text);
    return line;
  };
  const show = (raws: readonly string[]): void => {
    const lines: LogLine[] = [];
    for (const raw of raws) {
      const line = shown(raw);
      if (!keep || keep(line)) lines.push(line);
    }
    if (lines.length > 0) given.write(lines);
  };
  // A run's own lines (a failure quoting them): all it printed, its relay done writing.
  if (given.run) await outputWritten(file, given.run.logOffset ?? 0);
  // Said, not skipped in silence: a log that is a link is never read (that would show its target).
  if ((await assertOwnDir(dirname(file))) === 'ok') await assertOwnFile(file);
  const request = { ...given, keep: keep && ((raw: string) => keep(shown(raw))) };
  // Everything kept, followed: the whole file from its first byte (a service added while `up` runs).
  const whole = request.follow && request.lines === Infinity && request.run === undefined;
  let follower: LogFollower | undefined;
  let end: number | undefined;
  if (whole) follower = new LogFollower(file, request.since ? await offsetOfTime(file, stampOf(request.since), 0, await sizeOf(file)) : 0);
  else if (request.follow) ({ follower, size: end } = await LogFollower.atEnd(file));
  if (!whole && request.lines === Infinity) await showRange(file, request, end, show);
  else if (!whole && request.lines > 0) await showTail(file, request, end, show);
  request.caughtUp?.();
  if (follower) {
    follower.latest = request.latest;
    await followUntilAborted(follower, request, show);
  }
  return undefined;
}

type Show = (raws: readonly string[]) => void;
type Kept = LogsRequest & { keep: ((raw: string) => boolean) | undefined };

/** The last lines that pass, from the file's end (or `end`) back to the run's start or `since`. */
async function showTail(file: string, request: Kept, end: number | undefined, show: Show): Promise<void> {
  const size = end ?? (await sizeOf(file));
  const floor = request.run?.logOffset ?? 0;
  const offset = request.since ? await offsetOfTime(file, stampOf(request.since), floor, size) : floor;
  const stop = request.until ? await offsetOfTime(file, untilStamp(request.until), offset, size, true) : size;
  const tail = await readLogTail(file, request.lines, { offset, end: stop, maxBytes: MAX_TAIL_BYTES, keep: request.keep }).catch(() => [] as string[]);
  if (tail.length > 0) show(tail);
}

/**
 * Every line that passes, oldest first (`--since` with no `-n`, `-n all`): from the rotated
 * files too when `since` reaches back into them, read in pieces, bisected to `since` and
 * stopped at `until` rather than read whole.
 */
async function showRange(file: string, request: Kept, end: number | undefined, show: Show): Promise<void> {
  const files = await filesFrom(file, request);
  const until = request.until ? untilStamp(request.until) : undefined;
  let carry: Buffer = Buffer.alloc(0);
  for (const [index, each] of files.entries()) {
    const size = index === files.length - 1 && end !== undefined ? end : await sizeOf(each);
    const floor = index === files.length - 1 ? (request.run?.logOffset ?? 0) : 0;
    const from = index === 0 && request.since ? await offsetOfTime(each, stampOf(request.since), floor, size) : floor;
    const to = until ? await offsetOfTime(each, until, from, size, true) : size;
    carry = await readPieces(each, from, to, carry, show, request.signal);
    if (to < size) break;
  }
  if (carry.length > 0) show([carry.toString('utf8')]);
}

/**
 * The files to read, oldest first: the live one, and the rotated ones that `since` reaches into
 * (with no `since`, or for a run's own lines, the live one alone, as the tail reads it).
 */
async function filesFrom(file: string, request: Kept): Promise<string[]> {
  if (!request.since || request.run) return [file];
  const since = stampOf(request.since);
  const rotated = (await readLogIndex(file)).files.length;
  const files = [file];
  for (let n = 1; n <= rotated; n += 1) {
    // The newest file whose first line is older than `since` is where the range begins.
    if ((await firstStamp(files[0] as string)) < since) break;
    const older = `${file}.${n}`;
    if ((await sizeOf(older)) === 0) break;
    files.unshift(older);
  }
  return files;
}

/** The time of a file's first line ('' for none: earlier than any). */
async function firstStamp(file: string): Promise<string> {
  const head = await readBytes(file, 0, 32);
  return parseLogLine(head.toString('latin1')).at ?? '';
}

/** Shows `file` from `from` to `to` in pieces of CHUNK_BYTES; returns the piece of a line left at `to`. */
async function readPieces(file: string, from: number, to: number, carry: Buffer, show: Show, signal: AbortSignal): Promise<Buffer> {
  let pending: Buffer = carry;
  for (let at = from; at < to && !signal.aborted; ) {
    const bytes = await readBytes(file, at, Math.min(CHUNK_BYTES, to - at));
    if (bytes.length === 0) break;
    at += bytes.length;
    const joined = pending.length > 0 ? Buffer.concat([pending, bytes]) : bytes;
    const last = joined.lastIndexOf(0x0a);
    if (last < 0) {
      pending = joined;
      continue;
    }
    show(joined.toString('utf8', 0, last).split('\n'));
    pending = Buffer.from(joined.subarray(last + 1));
  }
  return pending;
}

async function readBytes(file: string, position: number, length: number): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await openOwnFile(file, constants.O_RDONLY);
  } catch {
    return Buffer.alloc(0);
  }
  try {
    return await readFully(handle, position, length);
  } finally {
    await handle.close();
  }
}

async function sizeOf(file: string): Promise<number> {
  return (await stat(file).catch(() => undefined))?.size ?? 0;
}

/** Reads on until the signal aborts, then what is left (a last line without its newline too). */
async function followUntilAborted(follower: LogFollower, request: LogsRequest, show: Show): Promise<void> {
  try {
    while (!request.signal.aborted) {
      show(await follower.read());
      await pause(request.pollMs ?? DEFAULT_POLL_MS, request.signal);
    }
    show(await follower.read());
    const partial = follower.takePartial();
    if (partial !== undefined) show([partial]);
  } finally {
    await follower.close();
  }
}
