import { constants, existsSync } from 'node:fs';
import { rename, rm, type FileHandle } from 'node:fs/promises';
import { openOwnFile, readRegularFile } from '../../os/safe-file.js';
import { writeFileAtomic } from '../../os/write-atomic.js';
import { isRunning, ownStartTicks } from '../../os/proc-stat.js';

/**
 * `<name>.log.index`: what the rotations of a log did, so that a follower (`stack logs -f`)
 * that is behind can find every byte once, whatever rotated meanwhile.
 *
 * Each inode's bytes are counted from its first byte ever written ("logical" offsets). A live
 * rotation (rotate-live.ts) cuts bytes from the front of the live inode: `removed[ino]` says
 * how many so far. Rotated files are described by `files`: `files[0]` is `<name>.log.1`, with
 * the inode its bytes came from and their logical range. Every rotation marks itself
 * `pending` (and bumps `generation`) before it moves anything and clears it (bumping again)
 * when done: a reader that saw the same generation, not pending, before and after reading
 * knows nothing moved under it.
 */
export interface Segment {
  ino: number;
  start: number;
  end: number;
}

export interface PendingRotation {
  kind: 'cut' | 'rename';
  /** The live inode being cut or renamed. */
  ino: number;
  /** For a cut: `removed[ino]` before it, and how many bytes it cuts. */
  from?: number;
  cut?: number;
  /** The process rotating (pid and start ticks): a mark whose process is gone was left by a crash. */
  pid?: number;
  startTicks?: number;
  /** `collapsing` once `.1` holds the copy and the cut may have begun. */
  step?: 'moving' | 'collapsing';
}

export interface LogIndex {
  generation: number;
  pending?: PendingRotation | undefined;
  removed: Record<string, number>;
  /** What `<name>.log.<n>` holds is `files[n - 1]`; null when not known (made before the index existed). */
  files: (Segment | null)[];
  /** The index exists but could not be read (EMFILE, EACCES): readers wait, as for a rotation. */
  unreadable?: true;
}

const EMPTY: LogIndex = { generation: 0, removed: {}, files: [] };
/** An index describes at most maxFiles files: far smaller than this. */
const MAX_INDEX_BYTES = 1024 * 1024;

/**
 * Whether the index is mid-rotation, for a reader. A pending mark whose rotating process is
 * gone was left by a crash (the next rotation settles it) and does not count.
 */
export function rotationUnderWay(index: LogIndex): boolean {
  const pending = index.pending;
  return index.unreadable === true || (pending?.pid !== undefined && isRunning(pending.pid, pending.startTicks));
}

/** Who is rotating, for the pending mark. */
export function rotator(): { pid: number; startTicks?: number } {
  const startTicks = ownStartTicks();
  return startTicks === undefined ? { pid: process.pid } : { pid: process.pid, startTicks };
}

const exclusive = new Map<string, Promise<unknown>>();

/**
 * Runs `work` on `file` after any other rotation of it in this process: the controller's
 * rotation pass and a restart's rotation may meet on one log (across processes, the stack
 * lock keeps rotations apart).
 */
export function withRotationLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const previous = exclusive.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  const settled = next.catch(() => undefined);
  exclusive.set(file, settled);
  void settled.then(() => {
    if (exclusive.get(file) === settled) exclusive.delete(file);
  });
  return next;
}

export function logIndexFile(logFile: string): string {
  return `${logFile}.index`;
}

/** The index of `logFile`; an empty one when there is none or it cannot be read. */
export async function readLogIndex(logFile: string): Promise<LogIndex> {
  const file = logIndexFile(logFile);
  // Most logs never rotated: no index, and no rejected read (an error object) to learn that.
  if (!existsSync(file)) return EMPTY;
  let text: string;
  try {
    const read = await readRegularFile(file, { maxBytes: MAX_INDEX_BYTES, noFollow: true });
    // A link or a special file is not an index stack wrote: as if damaged.
    if (!read.ok) return EMPTY;
    text = read.bytes.toString('utf8');
  } catch {
    return { ...EMPTY, unreadable: true };
  }
  try {
    const index = JSON.parse(text) as Partial<LogIndex>;
    if (typeof index.generation === 'number' && typeof index.removed === 'object' && index.removed !== null && Array.isArray(index.files)) {
      return { generation: index.generation, pending: index.pending, removed: index.removed, files: index.files };
    }
  } catch {
    // damaged: start afresh
  }
  return EMPTY;
}

export async function writeLogIndex(logFile: string, index: LogIndex): Promise<void> {
  const file = logIndexFile(logFile);
  await writeFileAtomic(file, `${JSON.stringify(index)}\n`, { mode: 0o600 });
}

/** Bytes cut so far from the front of inode `ino`. */
export function removedFrom(index: LogIndex, ino: number): number {
  return index.removed[String(ino)] ?? 0;
}

/**
 * Moves `<file>.1` … up by one (the last one, `.maxFiles`, is overwritten), so that `.1` is free.
 * Returns the index's file list as it will be once `.1` holds `segment`.
 */
export async function shiftRotated(file: string, index: LogIndex, maxFiles: number, segment: Segment | null): Promise<(Segment | null)[]> {
  for (let n = maxFiles - 1; n >= 1; n -= 1) {
    await rename(`${file}.${n}`, `${file}.${n + 1}`).catch(ignoreMissing);
  }
  return [segment, ...index.files].slice(0, maxFiles);
}

/** Drops what the index says about inode `ino` (a new file that reuses the number of a deleted one). */
export async function forgetInode(file: string, ino: number): Promise<void> {
  const index = await readLogIndex(file);
  const key = String(ino);
  const mentioned = key in index.removed || index.files.some((segment) => segment?.ino === ino);
  if (!mentioned || index.pending || index.unreadable) return;
  const removed = Object.fromEntries(Object.entries(index.removed).filter(([other]) => other !== key));
  const files = index.files.map((segment) => (segment?.ino === ino ? null : segment));
  await writeLogIndex(file, { generation: index.generation + 1, removed, files });
}

/** Keeps only the counts of inodes still live or in a rotated file. */
export function pruneRemoved(removed: Record<string, number>, files: readonly (Segment | null)[], liveIno: number | undefined): Record<string, number> {
  const keep = new Set(files.flatMap((segment) => (segment ? [String(segment.ino)] : [])));
  if (liveIno !== undefined) keep.add(String(liveIno));
  return Object.fromEntries(Object.entries(removed).filter(([ino]) => keep.has(ino)));
}

/**
 * The index with a rotation left pending by a process that died during it (or failed half-way)
 * settled. Called under the rotation lock, so no rotation of this log is under way. Nothing is
 * deleted: when it cannot be known whether a block was cut, it is taken as cut, so at worst a
 * block shows twice (in `.1` and the live file), never not at all.
 */
export async function settledLogIndex(file: string, maxFiles: number): Promise<LogIndex> {
  const read = await readLogIndex(file);
  const index = read.unreadable ? EMPTY : read;
  const pending = index.pending;
  if (!pending) return index;
  const settled: LogIndex = { generation: index.generation + 1, removed: index.removed, files: [] };
  await rm(`${file}.rotating`, { force: true });
  if (pending.kind === 'cut' && pending.step === 'collapsing' && pending.cut !== undefined && pending.from !== undefined) {
    // .1 holds the copy and the files had all moved up: the cut may have happened.
    settled.removed = { ...index.removed, [String(pending.ino)]: pending.from + pending.cut };
    settled.files = [{ ino: pending.ino, start: pending.from, end: pending.from + pending.cut }, ...index.files].slice(0, maxFiles);
  }
  // Otherwise the live file was not cut; the rotated files may have moved part of the way, so
  // what each holds is no longer known (they are all still there).
  await writeLogIndex(file, settled);
  return settled;
}

/** Bytes [from, to) of inode `ino`'s stream that went to rotated files, in order. */
export async function readRotatedRange(file: string, index: LogIndex, ino: number, from: number, to: number): Promise<Buffer> {
  const pieces: { start: number; bytes: Buffer }[] = [];
  for (const [position, segment] of index.files.entries()) {
    if (!segment || segment.ino !== ino || segment.end <= from || segment.start >= to) continue;
    const start = Math.max(from, segment.start);
    const end = Math.min(to, segment.end);
    const handle = await openOwnFile(`${file}.${position + 1}`, constants.O_RDONLY).catch(() => undefined);
    if (!handle) continue;
    try {
      pieces.push({ start, bytes: await readFully(handle, start - segment.start, end - start) });
    } finally {
      await handle.close();
    }
  }
  return Buffer.concat(pieces.sort((a, b) => a.start - b.start).map((piece) => piece.bytes));
}

/**
 * The inodes that followed `ino` in the log, oldest first, up to (not including) `until`: files
 * renamed at restarts after `ino` was, whose runs a follower still holding `ino` never saw.
 * Undefined when the index no longer describes `ino` (rotated away, or older than the index).
 */
export function successorsOf(index: LogIndex, ino: number, until: number | undefined): number[] | undefined {
  const newest = index.files.findIndex((segment) => segment?.ino === ino);
  if (newest < 0) return undefined;
  const successors: number[] = [];
  for (const segment of index.files.slice(0, newest).reverse()) {
    if (!segment || segment.ino === ino) continue;
    if (segment.ino === until) break;
    if (!successors.includes(segment.ino)) successors.push(segment.ino);
  }
  return successors;
}

/** Where inode `ino`'s stream ends, as far as the rotated files tell (0 if they hold none of it). */
export function rotatedEnd(index: LogIndex, ino: number): number {
  return Math.max(0, ...index.files.flatMap((segment) => (segment?.ino === ino ? [segment.end] : [])));
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** `length` bytes from `position` (fewer only at the end of the file), whatever one read returns. */
export async function readFully(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, Math.min(length - filled, 1 << 24), position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
