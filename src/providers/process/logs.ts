import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { LogSpec } from '../../config/types.js';

const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `.stack/logs`, below the state folder. */
export function logsDir(stateDir: string): string {
  return path.join(stateDir, 'logs');
}

/** `.stack/logs/<service>.log`; refuses any name that could leave the logs folder. */
export function logFileOf(stateDir: string, service: string): string {
  if (!SERVICE_NAME.test(service)) throw new RangeError(`invalid service name ${JSON.stringify(service)}`);
  return path.join(logsDir(stateDir), `${service}.log`);
}

/** Creates `.stack/` and `.stack/logs/` (mode 0700) if missing. */
// Starting 50 services would otherwise make 200 mkdir calls; a folder removed behind our back
// is noticed when opening a log fails, and made again.
const ensured = new Set<string>();

export async function ensureLogsDir(stateDir: string): Promise<void> {
  if (ensured.has(stateDir)) return;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await mkdir(logsDir(stateDir), { recursive: true, mode: 0o700 });
  ensured.add(stateDir);
}

export interface OpenedLog {
  file: string;
  handle: FileHandle;
  /** Size of the file when opened: where this run's output begins. */
  offset: number;
}

/** Opens a service's log for appending (creating it 0600) and says where new output will begin. */
export async function openLogForAppend(stateDir: string, service: string): Promise<OpenedLog> {
  await ensureLogsDir(stateDir);
  const file = logFileOf(stateDir, service);
  const openIt = () => open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  const handle = await openIt().catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    ensured.delete(stateDir);
    await ensureLogsDir(stateDir);
    return openIt();
  });
  try {
    const { size } = await handle.stat();
    return { file, handle, offset: size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Size of a file, 0 when it does not exist. */
export async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * Rotates `file` → `file.1` → … → `file.<maxFiles>` when it is larger than `maxSizeBytes`.
 * Done before a start only: a running process keeps writing to its open descriptor.
 */
export async function rotateLogIfLarge(file: string, spec: LogSpec): Promise<boolean> {
  if (spec.maxSizeBytes <= 0 || (await fileSize(file)) <= spec.maxSizeBytes) return false;
  for (let index = spec.maxFiles - 1; index >= 1; index -= 1) {
    await rename(`${file}.${index}`, `${file}.${index + 1}`).catch(ignoreMissing);
  }
  if (spec.maxFiles >= 1) await rename(file, `${file}.1`);
  else await (await open(file, 'w')).close();
  return true;
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Reads `file` from byte `offset` to its end ('' when it does not exist). */
export async function readLogFrom(file: string, offset: number): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    ignoreMissing(error);
    return '';
  }
  try {
    const { size } = await handle.stat();
    const start = Math.min(Math.max(offset, 0), size);
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

const TAIL_BYTES = 64 * 1024;

/** The last `lines` lines of `file` (at most the last 64 KiB), optionally only after `offset`. */
export async function readLogTail(file: string, lines: number, offset = 0): Promise<string[]> {
  const size = await fileSize(file);
  const text = await readLogFrom(file, Math.max(offset, size - TAIL_BYTES));
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return lines <= 0 ? [] : all.slice(-lines);
}

/** Whole-file read, for tests and `stack logs`. */
export async function readLog(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: unknown) => {
    ignoreMissing(error);
    return '';
  });
}
