import { constants } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import { openOwnFile } from '../../os/safe-file.js';
import { frameLine, stampOf } from '../../model/log-line.js';
import { readFully, readLogIndex, readRotatedRange, removedFrom, rotatedEnd, rotationUnderWay, successorsOf, type LogIndex } from './log-index.js';

const NEWLINE = 0x0a;
/** The longest line held back waiting for its end (a follower with `latest` holds at most that). */
const PARTIAL_LIMIT = 1024 * 1024;

/**
 * Follows one service log across both kinds of rotation.
 *
 * - At a (re)start the file is renamed (`x.log` → `x.log.1`) and the new run writes a new
 *   `x.log`. Following by path alone would lose what the old file got between two reads, so
 *   the open descriptor is kept: the old inode is read to its end before switching.
 * - While the service runs, its oldest blocks are cut from the front of the same inode
 *   (rotate-live.ts). The log index (log-index.ts) says how many bytes are gone; the read
 *   offset moves back by as much, and bytes cut before they were read are taken from the
 *   rotated file the index names. While a rotation is under way nothing is read, and a read
 *   that overlapped one is done again.
 *
 * Lines are split on bytes and decoded whole, so a character cut across two reads (or across
 * `.1` and the live file) comes out intact.
 */
export class LogFollower {
  private handle: FileHandle | undefined;
  private inode: number | undefined;
  /** Bytes cut from the front of the followed inode when it was last read. */
  private removed = 0;
  private partial: Buffer = Buffer.alloc(0);
  /** An inode read to its end after it was renamed; the runs renamed after it are still to read. */
  private finished: number | undefined;
  /** A viewer's limit (LogsRequest.latest): more bytes than this waiting are skipped to the last this many. */
  latest: number | undefined;

  constructor(
    private readonly file: string,
    /** Where to begin in the file as it is now (its size, to show only new lines). */
    private offset: number,
  ) {}

  /** The complete lines written since the last call, in order. */
  async read(): Promise<string[]> {
    if (!this.handle && !(await this.openCurrent())) return [];
    const inode = this.inode as number;
    const before = await readLogIndex(this.file);
    if (rotationUnderWay(before)) return [];
    const now = await stat(this.file).catch(() => undefined);

    // Worked out on copies, kept only if no rotation began or ended meanwhile.
    const chunks = this.finished === undefined ? [] : await this.missedRuns(before, this.finished, inode);
    let offset = this.offset;
    let removed = this.removed;
    const removedNow = removedFrom(before, inode);
    if (removedNow > removed) {
      const cut = removedNow - removed;
      if (offset >= cut) {
        offset -= cut;
      } else {
        const wanted = removedNow - (removed + offset);
        const found = await readRotatedRange(this.file, before, inode, removed + offset, removedNow);
        if (found.length < wanted) {
          // Rotated away (past maxFiles) before they could be read: said, not silently skipped.
          chunks.push(rotatedAwayNotice(wanted - found.length, this.partial.length > 0 && chunks.length === 0));
        }
        chunks.push(found);
        offset = 0;
      }
      removed = removedNow;
    }
    const skipped = chunks.length === 0 && now?.ino === inode ? this.skippable(now.size - offset) : 0;
    const drained = await this.readFrom(offset + skipped);
    const after = await readLogIndex(this.file);
    if (after.generation !== before.generation || rotationUnderWay(after)) return [];
    this.offset = drained.next;
    this.removed = removed;
    this.finished = undefined;
    if (skipped > 0) {
      // Read from inside a line: that line's piece is dropped with the rest, and the skip is said.
      const first = drained.bytes.indexOf(NEWLINE);
      const dropped = first < 0 ? drained.bytes.length : first + 1;
      chunks.push(skippedNotice(skipped + dropped, this.partial.length > 0), drained.bytes.subarray(dropped));
      this.partial = Buffer.alloc(0);
    } else {
      chunks.push(drained.bytes);
    }

    if (now?.ino !== inode) {
      // Renamed at a restart (or removed): what the old file got since, then the new file.
      const rest = await this.readFrom(this.offset);
      chunks.push(rest.bytes);
      const pending = Buffer.concat([this.partial, ...chunks]);
      if (pending.length > 0 && pending.at(-1) !== NEWLINE) chunks.push(Buffer.from('\n'));
      await this.close();
      // The new file is read from its first byte on the next call, through the cut logic
      // above: it may have been cut (by the apply that started it) before we ever opened it.
      // Runs renamed between this one and it come first.
      this.offset = 0;
      this.finished = inode;
      if (now) await this.openCurrent({ fromStart: true });
    }
    return this.lines(chunks);
  }

  /**
   * The whole output of the runs that followed inode `finished` and were themselves renamed
   * before this follower saw them, up to the inode now open, each ending with a newline.
   */
  private async missedRuns(index: LogIndex, finished: number, opened: number): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    for (const ino of successorsOf(index, finished, opened) ?? []) {
      const end = rotatedEnd(index, ino);
      const bytes = await readRotatedRange(this.file, index, ino, 0, end);
      if (bytes.length < end) chunks.push(rotatedAwayNotice(end - bytes.length, false));
      if (bytes.length > 0) chunks.push(bytes.at(-1) === NEWLINE ? bytes : Buffer.concat([bytes, Buffer.from('\n')]));
    }
    return chunks;
  }

  /** Bytes to skip of `waiting` unread ones, for a viewer that shows only the latest lines. */
  private skippable(waiting: number): number {
    return this.latest !== undefined && waiting > this.latest ? waiting - this.latest : 0;
  }

  async close(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    this.inode = undefined;
  }

  private lines(chunks: Buffer[]): string[] {
    const all = Buffer.concat([this.partial, ...chunks]);
    const end = all.lastIndexOf(NEWLINE);
    const lines = end < 0 ? [] : all.subarray(0, end).toString('utf8').split('\n');
    this.partial = end < 0 ? all : all.subarray(end + 1);
    // Output that never ends its line (`\r` progress bars) is handed over cut rather than held,
    // and copied at every read, without bound.
    if (this.partial.length > (this.latest ?? PARTIAL_LIMIT)) {
      lines.push(this.partial.toString('utf8'));
      this.partial = Buffer.alloc(0);
    }
    return lines;
  }

  /**
   * Opens the file now at the path. The offset counts from its first byte as it is now, or,
   * `fromStart` (the default for offset 0: a file followed from its beginning, or one that did
   * not exist yet), from the first byte it ever had: what was cut is then read from `.1`, ….
   */
  private async openCurrent(options: { fromStart?: boolean } = {}): Promise<boolean> {
    const handle = await openOwnFile(this.file, constants.O_RDONLY).catch(() => undefined);
    if (!handle) return false;
    this.handle = handle;
    this.inode = (await handle.stat()).ino;
    const fromStart = options.fromStart ?? this.offset === 0;
    this.removed = fromStart ? 0 : removedFrom(await readLogIndex(this.file), this.inode);
    return true;
  }

  /**
   * A follower of what `file` gets from now on, and where "now" is (for a tail read up to it):
   * its size, taken with the cut count of the same moment (no rotation in between), moved back
   * to the start of a line the service is still writing, so that line is shown once, whole.
   */
  static async atEnd(file: string): Promise<{ follower: LogFollower; size: number }> {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const before = await readLogIndex(file);
      const handle = await openOwnFile(file, constants.O_RDONLY).catch(() => undefined);
      if (!handle) return { follower: new LogFollower(file, 0), size: 0 };
      const info = await handle.stat();
      const size = await lineStart(handle, info.size);
      const after = await readLogIndex(file);
      if (before.generation === after.generation && !rotationUnderWay(after)) {
        const follower = new LogFollower(file, size);
        follower.handle = handle;
        follower.inode = info.ino;
        follower.removed = removedFrom(after, info.ino);
        return { follower, size };
      }
      await handle.close();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${file} kept rotating while stack tried to follow it`);
  }

  /** The last line if it has no newline yet (a service that exited mid-line), once. */
  takePartial(): string | undefined {
    if (this.partial.length === 0) return undefined;
    const line = this.partial.toString('utf8');
    this.partial = Buffer.alloc(0);
    return line;
  }

  /** The bytes from `offset` to the end of the open file, and where the next read begins. */
  private async readFrom(offset: number): Promise<{ bytes: Buffer; next: number }> {
    const handle = this.handle;
    if (!handle) return { bytes: Buffer.alloc(0), next: offset };
    const { size } = await handle.stat();
    // Shrunk with no cut recorded: truncated by someone else; read it again from its start.
    const start = size < offset ? 0 : offset;
    const bytes = await readFully(handle, start, size - start);
    return { bytes, next: start + bytes.length };
  }
}

/** Where the line that ends at `size` begins: `size` itself when the file ends with a newline. */
async function lineStart(handle: FileHandle, size: number): Promise<number> {
  const from = Math.max(0, size - LINE_START_SEARCH);
  const bytes = await readFully(handle, from, size - from);
  if (bytes.length === 0 || bytes.at(-1) === NEWLINE) return size;
  const newline = bytes.lastIndexOf(NEWLINE);
  if (newline >= 0) return from + newline + 1;
  // A line longer than the search: split it rather than read the whole file.
  return from === 0 ? 0 : size;
}

// How far back a line start is looked for (longer lines are shown split where "now" fell).
const LINE_START_SEARCH = 64 * 1024;

/** Said in the stream where bytes were rotated away (past maxFiles) before they could be read. */
function skippedNotice(bytes: number, midLine: boolean): Buffer {
  return notice(`[stack: ${bytes} bytes skipped: written faster than they could be shown]`, midLine);
}

function rotatedAwayNotice(bytes: number, midLine: boolean): Buffer {
  return notice(`[stack: ${bytes} bytes of this log were rotated away before they could be shown]`, midLine);
}

/** A line of stack's own among the log's, on a line of its own. */
function notice(text: string, midLine: boolean): Buffer {
  return Buffer.from(`${midLine ? '\n' : ''}${frameLine({ text, stream: 'stack', at: stampOf(new Date()) })}`);
}
