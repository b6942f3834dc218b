import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';

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
}

export interface LogIndex {
  generation: number;
  pending?: PendingRotation | undefined;
  removed: Record<string, number>;
  /** What `<name>.log.<n>` holds is `files[n - 1]`; null when not known (made before the index existed). */
  files: (Segment | null)[];
}

const EMPTY: LogIndex = { generation: 0, removed: {}, files: [] };

/**
 * A rotation takes milliseconds; a pending mark older than this was left by a stack that died
 * during one (the next rotation settles it). Readers stop waiting for it.
 */
export const STALE_PENDING_MS = 10_000;

/** Whether the index is mid-rotation, for a reader: a pending mark left by a crash does not count. */
export async function rotationUnderWay(logFile: string, index: LogIndex): Promise<boolean> {
  if (!index.pending) return false;
  const written = await stat(logIndexFile(logFile)).then((info) => info.mtimeMs, () => 0);
  return Date.now() - written < STALE_PENDING_MS;
}

export function logIndexFile(logFile: string): string {
  return `${logFile}.index`;
}

/** The index of `logFile`; an empty one when there is none or it cannot be read. */
export async function readLogIndex(logFile: string): Promise<LogIndex> {
  try {
    const index = JSON.parse(await readFile(logIndexFile(logFile), 'utf8')) as Partial<LogIndex>;
    if (typeof index.generation === 'number' && typeof index.removed === 'object' && index.removed !== null && Array.isArray(index.files)) {
      return { generation: index.generation, pending: index.pending, removed: index.removed, files: index.files };
    }
  } catch {
    // missing or damaged: start afresh
  }
  return EMPTY;
}

export async function writeLogIndex(logFile: string, index: LogIndex): Promise<void> {
  const file = logIndexFile(logFile);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(index)}\n`, { mode: 0o600 });
  await rename(temp, file);
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

/** Keeps only the counts of inodes still live or in a rotated file. */
export function pruneRemoved(removed: Record<string, number>, files: readonly (Segment | null)[], liveIno: number | undefined): Record<string, number> {
  const keep = new Set(files.flatMap((segment) => (segment ? [String(segment.ino)] : [])));
  if (liveIno !== undefined) keep.add(String(liveIno));
  return Object.fromEntries(Object.entries(removed).filter(([ino]) => keep.has(ino)));
}

/**
 * The index with a rotation left pending by a stack that died during it settled. Callers hold
 * the stack lock, so no other rotation is under way. A cut happened if `.1` was written and the
 * live file no longer begins with it; one that did not happen leaves no copy behind (it would
 * repeat bytes the live file still has). Where files may have moved partly, their descriptions
 * are dropped: followers then read what is live, and nothing on disk is lost.
 */
export async function settledLogIndex(file: string, maxFiles: number): Promise<LogIndex> {
  const index = await readLogIndex(file);
  const pending = index.pending;
  if (!pending) return index;
  const settled: LogIndex = { generation: index.generation + 1, removed: index.removed, files: [] };
  const leftover = `${file}.rotating`;
  const copyUnfinished = await stat(leftover).then(() => true, () => false);
  await rm(leftover, { force: true });
  if (pending.kind === 'cut' && !copyUnfinished && pending.cut !== undefined && pending.from !== undefined) {
    const live = await stat(file).catch(() => undefined);
    const sample = Math.min(pending.cut, 64 * 1024);
    const [copied, head] = await Promise.all([readHead(`${file}.1`, sample), readHead(file, sample)]);
    if (live?.ino === pending.ino && copied.length === sample) {
      if (copied.equals(head)) {
        await rm(`${file}.1`, { force: true });
      } else {
        settled.removed = { ...index.removed, [String(pending.ino)]: pending.from + pending.cut };
        settled.files = [{ ino: pending.ino, start: pending.from, end: pending.from + pending.cut }, ...index.files].slice(0, maxFiles);
      }
    }
  }
  await writeLogIndex(file, settled);
  return settled;
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return Buffer.alloc(0);
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Bytes [from, to) of inode `ino`'s stream that went to rotated files, in order. */
export async function readRotatedRange(file: string, index: LogIndex, ino: number, from: number, to: number): Promise<Buffer> {
  const pieces: { start: number; bytes: Buffer }[] = [];
  for (const [position, segment] of index.files.entries()) {
    if (!segment || segment.ino !== ino || segment.end <= from || segment.start >= to) continue;
    const start = Math.max(from, segment.start);
    const end = Math.min(to, segment.end);
    const handle = await open(`${file}.${position + 1}`, 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      const bytes = Buffer.alloc(end - start);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, start - segment.start);
      pieces.push({ start, bytes: bytes.subarray(0, bytesRead) });
    } finally {
      await handle.close();
    }
  }
  return Buffer.concat(pieces.sort((a, b) => a.start - b.start).map((piece) => piece.bytes));
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
