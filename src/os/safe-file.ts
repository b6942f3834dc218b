/**
 * Opening files so that what is opened is what stack meant: a regular file, never a FIFO that
 * would hang a read or a device that never ends (`envFile: /dev/zero` grew to 4.6 GB), and,
 * inside `.stack/`, never a symbolic link that would point stack's writes, mode changes or
 * reads at a file outside the project.
 */

import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ExitCode, StackError } from '../model/errors.js';

// O_NONBLOCK: a FIFO opens at once (to be refused by fstat) instead of waiting for a writer;
// on a regular file it changes nothing.
const SAFE = constants.O_NONBLOCK;
const NO_FOLLOW = constants.O_NOFOLLOW;

/** What a path that is not a regular file is, in words. */
export function describeNonRegular(info: Stats): string {
  if (info.isSymbolicLink()) return 'a symbolic link';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

export type ReadResult =
  | { ok: true; bytes: Buffer }
  | { ok: false; reason: 'missing' }
  /** `size` when stat already told; a file stat calls small may still be too large (counted while reading). */
  | { ok: false; reason: 'too-large'; maxBytes: number; size?: number }
  | { ok: false; reason: 'not-regular'; what: string };

export interface ReadOptions {
  /** More bytes than this are not read: counted while reading, since /proc files and growing files lie in stat. */
  maxBytes: number;
  /** Refuse a symbolic link as the last part of the path (files stack keeps in `.stack/`). */
  noFollow?: boolean;
}

/**
 * Reads a regular file whole, at most `maxBytes`. Missing, too large and not a regular file
 * are values; any other error (EACCES, EIO) is thrown as it came.
 */
export async function readRegularFile(file: string, options: ReadOptions): Promise<ReadResult> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | SAFE | (options.noFollow ? NO_FOLLOW : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, reason: 'missing' };
    if (code === 'ELOOP' && options.noFollow) return { ok: false, reason: 'not-regular', what: 'a symbolic link' };
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, reason: 'not-regular', what: describeNonRegular(info) };
    if (info.size > options.maxBytes) return { ok: false, reason: 'too-large', maxBytes: options.maxBytes, size: info.size };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, options.maxBytes + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) return { ok: false, reason: 'too-large', maxBytes: options.maxBytes };
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return { ok: true, bytes: Buffer.concat(chunks, total) };
  } finally {
    await handle.close();
  }
}

/** The text of a regular file in `.stack/` (no link followed), at most `maxBytes`; rejects otherwise (missing included). */
export async function readOwnText(file: string, maxBytes = 1024 * 1024): Promise<string> {
  const read = await readRegularFile(file, { maxBytes, noFollow: true });
  if (read.ok) return read.bytes.toString('utf8');
  throw read.reason === 'not-regular' ? unsafeFileError(file, read.what) : new Error(`${file}: ${read.reason}`);
}

/** Thrown when a file in `.stack/` is not a regular file (a link, a FIFO); `code` names it for callers that skip such files. */
export function unsafeFileError(file: string, what: string): StackError {
  return new StackError(ExitCode.actionFailed, `refusing to use ${file}: it is ${what}, not a regular file stack made`, {
    hint: 'stack never follows a link or opens a special file in .stack/; remove it and stack makes its own',
  });
}

/**
 * Opens a file in `.stack/` without following a link, refusing anything but a regular file.
 * `flags` are the usual open(2) flags (O_CREAT and friends); `mode` applies to a created file.
 */
export async function openOwnFile(file: string, flags: number, mode = 0o600): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, flags | SAFE | NO_FOLLOW, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw unsafeFileError(file, 'a symbolic link');
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw unsafeFileError(file, 'a FIFO (named pipe)');
    throw error;
  }
  const info = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  if (!info.isFile()) {
    await handle.close();
    throw unsafeFileError(file, describeNonRegular(info));
  }
  return handle;
}

/** `openOwnFile`, synchronously: a descriptor. */
export function openOwnFileSync(file: string, flags: number, mode = 0o600): number {
  let fd: number;
  try {
    fd = openSync(file, flags | SAFE | NO_FOLLOW, mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw unsafeFileError(file, 'a symbolic link');
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw unsafeFileError(file, 'a FIFO (named pipe)');
    throw error;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw unsafeFileError(file, describeNonRegular(info));
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Refuses `dir` when it is a symbolic link, not a directory, or not ours: a `.stack` linked to a
 * shared folder would have stack change that folder's mode and write its state and logs there.
 * A missing folder is fine (nothing to read through it).
 */
export async function assertOwnDir(dir: string): Promise<'missing' | 'ok'> {
  let info: Stats;
  try {
    info = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  if (info.isSymbolicLink()) {
    const target = await readlink(dir).catch(() => undefined);
    throw new StackError(ExitCode.actionFailed, `refusing to use ${dir}: it is a symbolic link${target === undefined ? '' : ` (to ${target})`}`, {
      hint: 'stack keeps its state, lock and logs in a folder of its own beside the stack file; remove the link and stack makes the folder',
    });
  }
  if (!info.isDirectory()) {
    throw new StackError(ExitCode.actionFailed, `cannot use ${dir} for stack's state: a file of that name is in the way`, {
      hint: 'move or delete it; stack keeps its state, logs and lock in that folder',
    });
  }
  const uid = process.geteuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new StackError(ExitCode.actionFailed, `refusing to use ${dir}: it belongs to another user (uid ${info.uid})`, {
      hint: 'stack keeps its state, lock and logs in a folder private to you; remove it or run stack as its owner',
    });
  }
  return 'ok';
}

/** Refuses `file` when it exists and is not a regular file (a link, a FIFO); a missing one is fine. */
export async function assertOwnFile(file: string): Promise<void> {
  const info = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info && !info.isFile()) throw unsafeFileError(file, describeNonRegular(info));
}

/**
 * Makes `dir` private to us, mode 0700: created if missing, refused if
 * it is a link or another's (assertOwnDir). The mode is set through a descriptor opened without
 * following links, so a link swapped in meanwhile is not followed either.
 */
export async function ensureOwnDir(dir: string): Promise<void> {
  if ((await assertOwnDir(dir)) === 'missing') {
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await assertOwnDir(dir);
  }
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | NO_FOLLOW).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP' || error.code === 'ENOTDIR') throw unsafeFileError(dir, 'no longer the folder stack checked');
    throw error;
  });
  try {
    if (((await handle.stat()).mode & 0o777) !== 0o700) await handle.chmod(0o700);
  } finally {
    await handle.close();
  }
}
