// `logs` of the providers whose output stack writes to `.stack/logs/<service>.log` (process,
// plugin, exec): the file's tail, then (following) what is appended, across rotations.
import { constants } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';
import { stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FRAME_BYTES, isFramedBytes, lineFilter, parseLogLine, stampOf, untilStamp, type LineStream, type LogLine } from '../../model/log-line.js';
import type { LogChunksRequest, LogsRequest } from '../../model/provider.js';
import type { Redact } from '../../model/redact.js';
import { redactNothing } from '../../config/sensitive.js';
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
  const inOrder = new PieceRedactor(redact);
  // Out of order (a filter's look at each line): a piece is known only by whether its line goes on.
  const shown = (raw: string): LogLine => redactCut(redact, parseLogLine(raw), false);
  const show = (raws: readonly string[], before?: Before): void => {
    if (before) inOrder.follow(before.raws.map(parseLogLine), before.more);
    const lines: LogLine[] = [];
    for (const raw of raws) {
      const line = inOrder.next(parseLogLine(raw));
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

/** The records just before those shown, read only to know which of their lines go on into them; `more` when there are more before. */
interface Before {
  raws: readonly string[];
  more: boolean;
}

/** `raws` shown, after `before`. */
type Show = (raws: readonly string[], before?: Before) => void;

/** Records read before a tail: the last piece of each stream's line before it is among them, unless a stream wrote none of them. */
const LOOK_BACK = 8;
const CUT_STREAMS: readonly LineStream[] = ['stdout', 'stderr'];

/**
 * Redacts a log's lines in their order. A line longer than 64 KiB is stored in pieces
 * (log-line.ts): a secret may stand across a cut. A piece is redacted as cut at its end when its
 * line goes on, and at its start when it goes on from the last piece of its stream: no more than
 * 2 characters of a secret survive either side.
 */
class PieceRedactor {
  /** The streams whose next line goes on from a piece, or may (not known: taken as cut). */
  private readonly goingOn = new Set<LineStream>();

  constructor(private readonly redact: Redact) {}

  /** Whether the next line of some stream goes on from a piece before it. */
  get open(): boolean {
    return this.goingOn.size > 0;
  }

  /** `line`, the next of the log, redacted in place (a line of its own, just parsed: not copied). */
  next(line: LogLine): LogLine {
    return this.note(redactCut(this.redact, line, this.goingOn.size > 0 && this.goingOn.has(line.stream)));
  }

  /**
   * The lines just before those redacted next, not redacted here: whether each stream's last one
   * goes on. When `more` came before them, a stream none of them is of may go on: taken as cut.
   */
  follow(lines: readonly LogLine[], more: boolean): void {
    if (more) for (const stream of CUT_STREAMS) if (!lines.some((line) => line.stream === stream)) this.goingOn.add(stream);
    for (const line of lines) this.note(line);
  }

  private note(line: LogLine): LogLine {
    if (line.continues) this.goingOn.add(line.stream);
    else this.goingOn.delete(line.stream);
    return line;
  }
}

/** `line`'s text redacted in place: as cut at its end when its line goes on, at its start when it goes on from a piece (`after`). */
function redactCut(redact: Redact, line: LogLine, after: boolean): LogLine {
  line.text = after || line.continues ? redact(line.text, { start: after, end: line.continues === true }) : redact(line.text);
  return line;
}

/** The frame of a piece whose line goes on (` O `, ` E ` after its time): the cheap look before parsing. */
const GOES_ON = /Z [OE] /;
type Kept = LogsRequest & { keep: ((raw: string) => boolean) | undefined };

/** The last lines that pass, from the file's end (or `end`) back to the run's start or `since`. */
async function showTail(file: string, request: Kept, end: number | undefined, show: Show): Promise<void> {
  const size = end ?? (await sizeOf(file));
  const floor = request.run?.logOffset ?? 0;
  const offset = request.since ? await offsetOfTime(file, stampOf(request.since), floor, size) : floor;
  const stop = request.until ? await offsetOfTime(file, untilStamp(request.until), offset, size, true) : size;
  // A few records more, unfiltered: whether the first lines shown go on from pieces before them.
  const back = request.keep ? 0 : LOOK_BACK;
  const tail = await readLogTail(file, request.lines + back, { offset, end: stop, maxBytes: MAX_TAIL_BYTES, keep: request.keep }).catch(() => [] as string[]);
  const before = Math.max(0, tail.length - request.lines);
  if (tail.length > 0) show(tail.slice(before), { raws: tail.slice(0, before), more: before === back && back > 0 });
}

/**
 * Every line that passes, oldest first (`--since` with no `-n`, `-n all`): from the rotated
 * files too when `since` reaches back into them, read in pieces, bisected to `since` and
 * stopped at `until` rather than read whole.
 */
async function showRange(file: string, request: Kept, end: number | undefined, show: Show): Promise<void> {
  for await (const piece of rangePieces(file, request, end)) show(piece.toString('utf8', 0, piece.length - 1).split('\n'));
}

/**
 * The bytes of showRange's lines, in pieces of about CHUNK_BYTES that each end with a line's
 * newline (a last line without one is given it).
 */
async function* rangePieces(file: string, request: LogChunksRequest & Pick<LogsRequest, 'run'>, end?: number): AsyncGenerator<Buffer> {
  const files = await filesFrom(file, request);
  const until = request.until ? untilStamp(request.until) : undefined;
  let carry: Buffer = Buffer.alloc(0);
  for (const [index, each] of files.entries()) {
    const size = index === files.length - 1 && end !== undefined ? end : await sizeOf(each);
    const floor = index === files.length - 1 ? (request.run?.logOffset ?? 0) : 0;
    const from = index === 0 && request.since ? await offsetOfTime(each, stampOf(request.since), floor, size) : floor;
    const to = until ? await offsetOfTime(each, until, from, size, true) : size;
    const pieces = readPieces(each, from, to, carry, request.signal);
    for (let next = await pieces.next(); ; next = await pieces.next()) {
      if (next.done) {
        carry = next.value;
        break;
      }
      yield next.value;
    }
    if (to < size) break;
  }
  if (carry.length > 0) yield Buffer.concat([carry, NEWLINE]);
}

const NEWLINE = Buffer.from('\n');

/**
 * The whole log of `file` (every line since `since`, up to `until`, that `match` keeps), as
 * framed records in pieces that end at a line's end, each line's text redacted as showLogFile
 * redacts it and decoded as it decodes it (a byte that is not UTF-8 as U+FFFD): what
 * `stack logs a b c -n all` merges at the byte level without making a string of every line.
 */
export async function* logChunksOfFile(file: string, request: LogChunksRequest, redact: Redact): AsyncGenerator<Buffer> {
  if ((await assertOwnDir(dirname(file))) === 'ok') await assertOwnFile(file);
  const keep = keeperOf(request);
  const pieces = new PieceRedactor(redact);
  for await (const piece of rangePieces(file, request)) {
    const text = isUtf8(piece) ? piece : Buffer.from(piece.toString('utf8'));
    // A redactor that knows no secret leaves the bytes undecoded.
    const redacted = redact === redactNothing ? text : redactPiece(text, redact, pieces);
    const kept = keep ? keepLines(redacted, keep) : redacted;
    if (kept.length > 0) yield kept;
  }
}

/**
 * A piece with every line's text redacted. A piece none of whose text the redactor changes
 * and that holds no line cut in pieces (the common case: checked on the piece whole) is returned
 * as it is; else line by line, each line's text alone, as showLogFile does, its frame kept.
 */
function redactPiece(piece: Buffer, redact: Redact, pieces: PieceRedactor): Buffer {
  // ASCII decodes as UTF-8 does, and faster.
  const whole = piece.toString(isAscii(piece) ? 'ascii' : 'utf8');
  if (!pieces.open && !GOES_ON.test(whole) && redact(whole) === whole) return piece;
  const lines = whole.slice(0, -1).split('\n');
  let out = '';
  for (const raw of lines) {
    const line = parseLogLine(raw);
    const frame = line.at === undefined ? '' : raw.slice(0, FRAME_BYTES);
    out += `${frame}${pieces.next(line).text}\n`;
  }
  return Buffer.from(out);
}

type Keep = (piece: Buffer, start: number, end: number) => boolean;

/**
 * lineFilter on a line's bytes (`piece[start..end)`, its newline at `end`): `since` and `until`
 * compared with its stamp's bytes, and only for `match` the line parsed.
 */
function keeperOf(request: LogChunksRequest): Keep | undefined {
  const since = request.since ? Buffer.from(stampOf(request.since)) : undefined;
  const until = request.until ? Buffer.from(untilStamp(request.until)) : undefined;
  const match = request.match;
  if (since === undefined && until === undefined && match === undefined) return undefined;
  return (piece, start, end) => {
    if (since !== undefined || until !== undefined) {
      // A line without a time passes neither.
      if (!isFramedBytes(piece, start, end)) return false;
      if (since !== undefined && piece.compare(since, 0, STAMP_BYTES, start, start + STAMP_BYTES) < 0) return false;
      if (until !== undefined && piece.compare(until, 0, STAMP_BYTES, start, start + STAMP_BYTES) > 0) return false;
    }
    return match === undefined || match(parseLogLine(piece.toString('utf8', start, end)));
  };
}

const STAMP_BYTES = 27;

/** The lines of a piece that `keep` keeps. */
function keepLines(piece: Buffer, keep: Keep): Buffer {
  const kept: Buffer[] = [];
  for (let start = 0; start < piece.length; ) {
    const end = piece.indexOf(0x0a, start);
    if (keep(piece, start, end)) kept.push(piece.subarray(start, end + 1));
    start = end + 1;
  }
  return kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept);
}

/**
 * The files to read, oldest first: the live one, and the rotated ones that `since` reaches into
 * (with no `since`, or for a run's own lines, the live one alone, as the tail reads it).
 */
async function filesFrom(file: string, request: LogChunksRequest & Pick<LogsRequest, 'run'>): Promise<string[]> {
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

/**
 * The bytes of `file` from `from` to `to` in pieces of about CHUNK_BYTES cut at a line's end
 * (`carry` before them), read through one handle, each read after the bytes carried into it;
 * returns the piece of a line left at `to`.
 */
async function* readPieces(file: string, from: number, to: number, carry: Buffer, signal: AbortSignal): AsyncGenerator<Buffer, Buffer> {
  let handle: FileHandle;
  try {
    handle = await openOwnFile(file, constants.O_RDONLY);
  } catch {
    return carry;
  }
  let pending: Buffer = carry;
  try {
    for (let at = from; at < to && !signal.aborted; ) {
      const buffer = Buffer.allocUnsafe(pending.length + Math.min(CHUNK_BYTES, to - at));
      pending.copy(buffer);
      const read = await readInto(handle, buffer, pending.length, at);
      if (read === 0) break;
      at += read;
      const joined = buffer.subarray(0, pending.length + read);
      const last = joined.lastIndexOf(0x0a);
      if (last < 0) {
        pending = joined;
        continue;
      }
      pending = Buffer.from(joined.subarray(last + 1));
      yield joined.subarray(0, last + 1);
    }
  } finally {
    await handle.close();
  }
  return pending;
}

/** Fills `buffer` from `offset` with the file's bytes at `position`; how many it read (fewer at the file's end). */
async function readInto(handle: FileHandle, buffer: Buffer, offset: number, position: number): Promise<number> {
  let filled = offset;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled - offset);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled - offset;
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
