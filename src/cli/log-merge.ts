import { FRAME_BYTES, isFramedBytes, stampDay, stampTimeOfDay, streamOfKind, type LineStream } from '../model/log-line.js';
import { HeadQueue } from './head-queue.js';

/**
 * Where merged lines go, a line at a time as bytes: `piece[start..end)` is one record without
 * its newline, of the `service`-th log, `framed` or a bare line. `end` flushes what is held.
 */
export interface MergedLineSink {
  line(service: number, piece: Buffer, start: number, end: number, framed: boolean): void;
  end(): void;
}

/**
 * Merges whole logs, each given as pieces of framed records that end at a line's end (in time
 * order already, as the relay wrote them), into one timeline, at the byte level: each line's
 * end is found with indexOf on its piece, its stamp read as two numbers from its bytes, and
 * only the sink makes anything of a line. Equal times keep the logs' order; a line with no
 * time keeps its place after the line before it (before every other log's lines, at the start).
 * A log's next piece is asked for as soon as its current one is taken (read while this one is
 * merged), so the merge seldom waits on a read: two pieces per log are held at most.
 */
export async function mergeLogChunks(logs: readonly AsyncIterable<Buffer>[], sink: MergedLineSink): Promise<void> {
  const heads: Head[] = [];
  for (const [order, chunks] of logs.entries()) {
    const pieces = chunks[Symbol.asyncIterator]();
    const head: Head = { order, pieces, next: ask(pieces), piece: EMPTY, start: 0, end: -1, framed: false, day: -Infinity, time: -Infinity };
    if (await nextPiece(head)) heads.push(head);
  }
  const queue = new HeadQueue(heads, before);
  for (let head = queue.first(); head !== undefined; head = queue.first()) {
    sink.line(head.order, head.piece, head.start, head.end, head.framed);
    head.start = head.end + 1;
    if (head.start < head.piece.length) {
      readLine(head);
      queue.advanced();
    } else if (await nextPiece(head)) {
      queue.advanced();
    } else {
      queue.removeFirst();
    }
  }
  sink.end();
}

const EMPTY = Buffer.alloc(0);

/** A log in the merge: its piece, its next line's start and newline, that line's stamp, its place among the logs. */
interface Head {
  order: number;
  pieces: AsyncIterator<Buffer>;
  /** The piece after this one, on its way. */
  next: Promise<IteratorResult<Buffer>>;
  piece: Buffer;
  start: number;
  end: number;
  framed: boolean;
  day: number;
  time: number;
}

/** The head on the first line of its next non-empty piece; false when the log is done. */
async function nextPiece(head: Head): Promise<boolean> {
  for (;;) {
    const next = await head.next;
    if (next.done === true) return false;
    head.next = ask(head.pieces);
    if (next.value.length === 0) continue;
    head.piece = next.value;
    head.start = 0;
    readLine(head);
    return true;
  }
}

/** The next piece, asked for now; a failed read surfaces where it is awaited (never as an unhandled rejection if the merge ended first). */
function ask(pieces: AsyncIterator<Buffer>): Promise<IteratorResult<Buffer>> {
  const next = pieces.next();
  next.catch(() => undefined);
  return next;
}

function readLine(head: Head): void {
  const piece = head.piece;
  const newline = piece.indexOf(0x0a, head.start);
  // A piece ends at a line's end; one that does not ends its last line anyway.
  head.end = newline < 0 ? piece.length : newline;
  head.framed = isFramedBytes(piece, head.start, head.end);
  if (!head.framed) return;
  head.day = stampDay(piece, head.start);
  head.time = stampTimeOfDay(piece, head.start);
}

const before = (a: Head, b: Head): boolean => a.day < b.day || (a.day === b.day && (a.time < b.time || (a.time === b.time && a.order < b.order)));


/** A framed line's stream, from its kind byte (a bare line is stdout). */
export function streamAt(piece: Buffer, start: number, framed: boolean): LineStream {
  return framed ? streamOfKind(piece[start + 28] as number) : 'stdout';
}

/** Where a merged line's text begins: past its frame, if it has one. */
export function textStartAt(start: number, end: number, framed: boolean): number {
  return framed ? Math.min(start + FRAME_BYTES, end) : start;
}

/** Output bytes gathered and written a batch at a time (one write per BATCH_BYTES), never a write per line. */
export class BatchedOutput {
  private buffer = Buffer.allocUnsafe(BATCH_BYTES);
  private at = 0;

  constructor(private readonly write: (bytes: Buffer) => void) {}

  /** Bytes `from..to` of `source`. */
  bytes(source: Buffer, from: number, to: number): void {
    const length = to - from;
    this.room(length);
    if (length > this.buffer.length - this.at) return this.write(Buffer.from(source.subarray(from, to)));
    const buffer = this.buffer;
    let at = this.at;
    // A short line copied in a loop: Buffer#copy makes a view of its source each call.
    if (length < 128) for (let index = from; index < to; index += 1) buffer[at++] = source[index] as number;
    else at += source.copy(buffer, at, from, to);
    this.at = at;
  }

  /** `prefix`, bytes `from..to` of `source` and a newline: a merged line as it most often prints, in one step. */
  line(prefix: Buffer, source: Buffer, from: number, to: number): void {
    const length = prefix.length + to - from + 1;
    this.room(length);
    if (length > this.buffer.length - this.at) {
      this.bytes(prefix, 0, prefix.length);
      this.bytes(source, from, to);
      return this.byte(0x0a);
    }
    const buffer = this.buffer;
    let at = this.at;
    for (let index = 0; index < prefix.length; index += 1) buffer[at++] = prefix[index] as number;
    if (to - from < 128) for (let index = from; index < to; index += 1) buffer[at++] = source[index] as number;
    else at += source.copy(buffer, at, from, to);
    buffer[at++] = 0x0a;
    this.at = at;
  }

  byte(value: number): void {
    this.room(1);
    (this.buffer as Buffer)[this.at++] = value;
  }

  text(value: string): void {
    const most = value.length * 3;
    this.room(most);
    if (most > this.buffer.length - this.at) return this.write(Buffer.from(value));
    this.at += this.buffer.write(value, this.at);
  }

  flush(): void {
    if (this.at === 0) return;
    // Written as is, then let go: a write may still hold it.
    this.write(this.buffer.subarray(0, this.at));
    this.buffer = Buffer.allocUnsafe(BATCH_BYTES);
    this.at = 0;
  }

  /** Flushes unless `length` more bytes fit. */
  private room(length: number): void {
    if (this.at + length > this.buffer.length) this.flush();
  }
}

const BATCH_BYTES = 64 * 1024;
