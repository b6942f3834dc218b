/**
 * A service's log line as stack keeps it: the text the service wrote, which stream it came
 * from, and when stack read it.
 *
 * `.stack/logs/<service>.log` is framed: every record is one line,
 *
 *     2026-12-05T10:54:27.123456Z o GET / 200
 *     └──────── 27 bytes ───────┘ │ └ the service's bytes, as written, without the newline
 *                                 └ o stdout, e stderr, s stack's own (start, exit, restart)
 *
 * written by the log relay (native/log-relay.c, or src/os/log-relay.ts where the addon is not
 * built) as it reads the service's pipes. An upper-case `O` or `E` marks a piece of a longer
 * line: the service's line goes on in the next record of that stream (a line longer than
 * 64 KiB, or one left without its newline for a second, as a prompt is).
 *
 * Why a frame in the file rather than a side index of times: the time, the stream and the
 * line stay one record, so every byte-level operation stack already does (appends from several
 * writers, a live rotation that cuts the front of the file, a follower across rotations, a
 * copy) keeps them together, and no crash can leave an index that disagrees with its log. The
 * times are in the order they were read, so `--since` finds its start by bisecting the file
 * (a seek, then the next line's time) instead of reading it whole. The cost is 30 bytes a line.
 *
 * A line without a frame (a log written before stack framed them, or by a program writing the
 * file directly) reads as stdout with no time.
 */

export type LineStream = 'stdout' | 'stderr' | 'stack';

export interface LogLine {
  text: string;
  stream: LineStream;
  /** When stack read it, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds); absent when not known. */
  at?: string;
  /** A piece of a longer line: the service's line goes on in the next line of this stream. */
  continues?: true;
}

/** The frame's length: the time, a space, the kind, a space. */
export const FRAME_BYTES = 30;

const KIND_OF: Readonly<Record<LineStream, string>> = { stdout: 'o', stderr: 'e', stack: 's' };

/** One framed record, newline included, for a line stack writes itself (`s`) or a relay written in JS. */
export function frameLine(line: LogLine & { at: string }): string {
  const kind = KIND_OF[line.stream];
  // Stack's own lines are whole: only a service's line is cut in pieces.
  return `${line.at} ${line.continues && line.stream !== 'stack' ? kind.toUpperCase() : kind} ${line.text}\n`;
}

/** A time as the frame writes it: ISO 8601 in UTC with six decimals (a Date has only three). */
export function stampOf(time: Date, micros = 0): string {
  const iso = time.toISOString();
  return `${iso.slice(0, 23)}${String(micros).padStart(3, '0').slice(0, 3)}Z`;
}

/** The last stamp a time's millisecond holds: `--until` keeps every line read within it. */
export function untilStamp(time: Date): string {
  return stampOf(time, 999);
}

/** Any RFC 3339 time in UTC (docker's nanoseconds, JavaScript's milliseconds) in the frame's form. */
export function normalStamp(time: string): string | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time);
  if (!match) return undefined;
  return `${match[1]}.${(match[2] ?? '').padEnd(6, '0').slice(0, 6)}Z`;
}

/** A stored line (without its newline) read back: framed, or a bare line as stdout with no time. */
export function parseLogLine(raw: string): LogLine {
  if (!isFramed(raw)) return { text: raw, stream: 'stdout' };
  const kind = raw.charCodeAt(28);
  const text = raw.slice(FRAME_BYTES);
  const at = raw.slice(0, 27);
  switch (kind) {
    case 0x6f: // o
      return { text, stream: 'stdout', at };
    case 0x65: // e
      return { text, stream: 'stderr', at };
    case 0x73: // s
      return { text, stream: 'stack', at };
    case 0x4f: // O
      return { text, stream: 'stdout', at, continues: true };
    default: // E: isFramed admits no other
      return { text, stream: 'stderr', at, continues: true };
  }
}

/**
 * A stamp as microseconds since the epoch: ordering a million lines compares numbers, not
 * 27-character texts that differ only at their end. NaN for a stamp not in the frame's form.
 */
export function stampMicros(stamp: string): number {
  if (stamp.length !== 27 || stamp.charCodeAt(26) !== 0x5a /* Z */) return Number.NaN;
  const field = (from: number, to: number): number => {
    let value = 0;
    for (let at = from; at < to; at += 1) value = value * 10 + stamp.charCodeAt(at) - 0x30;
    return value;
  };
  const seconds = Date.UTC(field(0, 4), field(5, 7) - 1, field(8, 10), field(11, 13), field(14, 16), field(17, 19)) / 1000;
  return seconds * 1_000_000 + field(20, 26);
}

/** The time of a stored line, undefined for a bare one: what bisecting a log by time reads. */
export function stampOfRaw(raw: string): string | undefined {
  return isFramed(raw) ? raw.slice(0, 27) : undefined;
}

// Checked by position, not by a regular expression: every line read passes here.
function isFramed(raw: string): boolean {
  if (raw.length < FRAME_BYTES - 1 || raw.charCodeAt(27) !== 0x20 || raw.charCodeAt(26) !== 0x5a /* Z */) return false;
  if (raw.length >= FRAME_BYTES && raw.charCodeAt(29) !== 0x20) return false;
  if (raw.charCodeAt(4) !== 0x2d || raw.charCodeAt(10) !== 0x54 || raw.charCodeAt(13) !== 0x3a || raw.charCodeAt(19) !== 0x2e) return false;
  for (const at of DIGITS) {
    const code = raw.charCodeAt(at);
    if (code < 0x30 || code > 0x39) return false;
  }
  return 'oesOE'.includes(raw[28] as string);
}

const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25];

/** What a `LogsRequest` keeps: its `since` and `until` (a line without a time passes neither) and its `match`. */
export function lineFilter(request: { since?: Date | undefined; until?: Date | undefined; match?: ((line: LogLine) => boolean) | undefined }): ((line: LogLine) => boolean) | undefined {
  const since = request.since ? stampOf(request.since) : undefined;
  const until = request.until ? untilStamp(request.until) : undefined;
  const match = request.match;
  if (since === undefined && until === undefined && match === undefined) return undefined;
  return (line) => {
    if (since !== undefined && (line.at === undefined || line.at < since)) return false;
    if (until !== undefined && (line.at === undefined || line.at > until)) return false;
    return match === undefined || match(line);
  };
}

// ---- framed records as bytes: what merging whole logs reads, a million lines without a string each ----

/** Whether the record at `start` (its newline at `end`) is framed: isFramed, on the bytes. */
export function isFramedBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < FRAME_BYTES - 1 || bytes[start + 27] !== 0x20 || bytes[start + 26] !== 0x5a /* Z */) return false;
  if (end - start >= FRAME_BYTES && bytes[start + 29] !== 0x20) return false;
  if (bytes[start + 4] !== 0x2d || bytes[start + 10] !== 0x54 || bytes[start + 13] !== 0x3a || bytes[start + 19] !== 0x2e) return false;
  for (const at of DIGITS) {
    const code = bytes[start + at] as number;
    if (code < 0x30 || code > 0x39) return false;
  }
  const kind = bytes[start + 28];
  return kind === 0x6f || kind === 0x65 || kind === 0x73 || kind === 0x4f || kind === 0x45;
}

/** The stream of a framed record's kind byte. */
export function streamOfKind(kind: number): LineStream {
  return kind === 0x65 || kind === 0x45 ? 'stderr' : kind === 0x73 ? 'stack' : 'stdout';
}

/**
 * A framed record's stamp as two numbers that order as its text does (the stamp sorts
 * lexically): YYYYMMDD, and HHMMSSffffff. Comparing them is what a merge of whole logs does
 * per line, with no string made.
 */
export function stampDay(bytes: Uint8Array, start: number): number {
  return digits(bytes, start, 0, 4) * 10_000 + digits(bytes, start, 5, 7) * 100 + digits(bytes, start, 8, 10);
}

export function stampTimeOfDay(bytes: Uint8Array, start: number): number {
  return ((digits(bytes, start, 11, 13) * 100 + digits(bytes, start, 14, 16)) * 100 + digits(bytes, start, 17, 19)) * 1_000_000 + digits(bytes, start, 20, 26);
}

function digits(bytes: Uint8Array, start: number, from: number, to: number): number {
  let value = 0;
  for (let at = start + from; at < start + to; at += 1) value = value * 10 + (bytes[at] as number) - 0x30;
  return value;
}
