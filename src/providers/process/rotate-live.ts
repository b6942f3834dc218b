import { constants, existsSync, statSync } from 'node:fs';
import { rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { openOwnFile } from '../../os/safe-file.js';
import path from 'node:path';
import type { LogSpec } from '../../model/desired.js';
import { runCommand } from '../../os/runner.js';
import { logIndexFile, pruneRemoved, readFully, removedFrom, rotator, settledLogIndex, shiftRotated, withRotationLock, writeLogIndex } from './log-index.js';

/**
 * Size rotation of a log that a running service still writes to.
 *
 * A service writes its output straight into `.stack/logs/<name>.log` (O_APPEND, no pipe
 * through stack, so it outlives every stack process). Renaming the file would leave the
 * service writing into the renamed one, and copy-then-truncate loses whatever it writes
 * between the two steps. Instead the oldest whole blocks are copied to `<name>.log.1` and
 * then removed from the front of the live file with fallocate(FALLOC_FL_COLLAPSE_RANGE): the
 * kernel does that under the inode lock, so appends made meanwhile land after the kept part
 * and no byte is lost or written twice. The cut falls on a block boundary, so a line can
 * begin at the end of `.1` and end at the start of the live file; `stack logs` joins them.
 *
 * `<name>.log.index` (log-index.ts) records each cut and what every rotated file holds, so
 * that followers (`stack logs -f`, see LogFollower) find every byte once.
 *
 * Needs a filesystem that collapses ranges (ext4, xfs); elsewhere (tmpfs, btrfs, zfs) logs
 * rotate only when the service (re)starts, as they always do.
 */

export type LiveRotation = 'rotated' | 'not-needed' | 'unsupported';

const support = new Map<string, { answer: Promise<boolean>; at: number }>();
const RECHECK_NO_AFTER_MS = 60_000;

/**
 * Whether the filesystem holding `dir` collapses ranges. A yes is kept; a no is asked again
 * after a minute (a probe can fail for passing reasons: a full disk, a busy system).
 */
export async function collapseSupported(dir: string): Promise<boolean> {
  const known = support.get(dir);
  if (known && ((await known.answer) || Date.now() - known.at < RECHECK_NO_AFTER_MS)) return known.answer;
  const answer = probeCollapse(dir);
  support.set(dir, { answer, at: Date.now() });
  return answer;
}

let probes = 0;

async function probeCollapse(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.collapse-check-${process.pid}-${(probes += 1)}`);
  try {
    const { blksize } = await stat(dir);
    await writeFile(probe, Buffer.alloc(blksize * 2, 0x61), { flag: 'wx' });
    const result = await collapse(probe, blksize);
    return result.ok && (await stat(probe)).size === blksize;
  } catch {
    return false;
  } finally {
    await rm(probe, { force: true });
  }
}

/** `refused`: fallocate could not run or reported failure, so nothing was cut. */
async function collapse(file: string, length: number): Promise<{ ok: boolean; refused: boolean; why: string }> {
  // util-linux's fallocate(1): Node has no binding for fallocate(2). Arguments, no shell.
  const result = await runCommand(['fallocate', '--collapse-range', '--offset', '0', '--length', String(length), file], { timeoutMs: 60_000 });
  const ok = result.exitCode === 0;
  const refused = result.spawnError !== undefined || (result.exitCode !== null && !ok);
  return { ok, refused, why: result.spawnError ?? (result.stderr.trim() || `exit code ${result.exitCode}`) };
}

/**
 * Rotates `file` while its service may be writing to it, when it is larger than
 * `spec.maxSizeBytes`: the whole blocks before its end go to `file.1` (older files move up to
 * `file.<maxFiles>`), and are then cut from the live file. Callers hold the stack lock; within
 * this process, rotations of one log take turns (withRotationLock).
 */
export function rotateLiveLog(file: string, spec: LogSpec): Promise<LiveRotation> {
  if (spec.maxSizeBytes <= 0) return Promise.resolve('not-needed');
  // Most calls find a small log and no index (so no rotation left half-done): answered with
  // one stat here, not an open, a stat and a close through the thread pool for every service.
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info || (info.size <= spec.maxSizeBytes && !existsSync(logIndexFile(file)))) return Promise.resolve('not-needed');
  return withRotationLock(file, () => rotateLocked(file, spec));
}

async function rotateLocked(file: string, spec: LogSpec): Promise<LiveRotation> {
  // Everything below works on this descriptor, so a restart renaming the path cannot make
  // the copy and the cut act on two different files.
  const handle = await openOwnFile(file, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return 'not-needed';
  try {
    const info = await handle.stat();
    const index = await settledLogIndex(file, spec.maxFiles);
    if (info.size <= spec.maxSizeBytes) return 'not-needed';
    if (!(await collapseSupported(path.dirname(file)))) return 'unsupported';
    // A collapse must end before the end of the file, on a block boundary.
    const cut = Math.floor((info.size - 1) / info.blksize) * info.blksize;
    if (cut <= 0) return 'not-needed';

    const from = removedFrom(index, info.ino);
    const pending = { kind: 'cut' as const, ino: info.ino, from, cut, ...rotator() };
    await writeLogIndex(file, { ...index, generation: index.generation + 1, pending: { ...pending, step: 'moving' } });
    await copyHead(handle, `${file}.rotating`, cut);
    const files = await shiftRotated(file, index, spec.maxFiles, { ino: info.ino, start: from, end: from + cut });
    await rename(`${file}.rotating`, `${file}.1`);
    await writeLogIndex(file, { ...index, generation: index.generation + 2, pending: { ...pending, step: 'collapsing' } });
    const result = await collapse(`/proc/${process.pid}/fd/${handle.fd}`, cut);
    if (result.refused) {
      // fallocate ran and the kernel said no: nothing was cut, and the copy in .1 would repeat
      // what the live file still holds.
      await rm(`${file}.1`, { force: true });
      await writeLogIndex(file, { generation: index.generation + 3, removed: index.removed, files: [null, ...files.slice(1)] });
      throw new Error(`cannot rotate ${file}: fallocate --collapse-range failed: ${result.why}`);
    }
    // Done, or not known to have failed (fallocate killed by its timeout): taken as done, so
    // at worst a block shows twice.
    const removed = { ...index.removed, [String(info.ino)]: from + cut };
    await writeLogIndex(file, { generation: index.generation + 3, removed: pruneRemoved(removed, files, info.ino), files });
    return 'rotated';
  } finally {
    await handle.close();
  }
}

async function copyHead(source: FileHandle, to: string, length: number): Promise<void> {
  const target = await openOwnFile(to, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
  try {
    for (let position = 0; position < length; ) {
      const chunk = await readFully(source, position, Math.min(1 << 20, length - position));
      if (chunk.length === 0) throw new Error(`${to}: the log shrank while it was being rotated`);
      await target.write(chunk);
      position += chunk.length;
    }
    await target.sync();
  } finally {
    await target.close();
  }
}
