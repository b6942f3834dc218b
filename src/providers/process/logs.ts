import { closeSync, constants, existsSync, fstatSync, statSync } from 'node:fs';
import { rename, stat, type FileHandle } from 'node:fs/promises';
import { ensureOwnDir, openOwnFile, openOwnFileSync } from '../../os/safe-file.js';
import { ensureStateDir } from '../../state/state-file.js';
import { openLogRelay } from '../../os/log-relay.js';
import { runShell, type CommandResult, type RunShellOptions } from '../../os/runner.js';
import path from 'node:path';
import type { LogSpec } from '../../model/desired.js';
import type { Redact } from '../../model/redact.js';
import { FRAME_BYTES, frameLine, parseLogLine, stampOf, stampOfRaw, type LogLine } from '../../model/log-line.js';

/** The longest record a relay writes: a frame and 64 KiB of a line. */
const MAX_RECORD_BYTES = FRAME_BYTES + 64 * 1024 + 1;
import { SERVICE_OR_REPLICA_NAME } from '../../config/replicas.js';
import { forgetInode, logIndexFile, pruneRemoved, readFully, readLogIndex, removedFrom, rotator, settledLogIndex, shiftRotated, withRotationLock, writeLogIndex } from './log-index.js';

/** `.stack/logs`, below the state folder. */
export function logsDir(stateDir: string): string {
  return path.join(stateDir, 'logs');
}

/** `.stack/logs/<service>.log`; refuses any name that could leave the logs folder. */
export function logFileOf(stateDir: string, service: string): string {
  if (!SERVICE_OR_REPLICA_NAME.test(service)) throw new RangeError(`invalid service name ${JSON.stringify(service)}`);
  return path.join(logsDir(stateDir), `${service}.log`);
}

/** Creates `.stack/` and `.stack/logs/` (mode 0700) if missing. */
// Starting 50 services would otherwise make 200 mkdir calls; a folder removed behind our back
// is noticed when opening a log fails, and made again.
const ensured = new Set<string>();

export async function ensureLogsDir(stateDir: string): Promise<void> {
  if (ensured.has(stateDir)) return;
  // Links refused, never followed: output appended through one lands outside the project.
  await ensureStateDir(stateDir);
  await ensureOwnDir(logsDir(stateDir));
  ensured.add(stateDir);
}

export interface OpenedLog {
  file: string;
  /** Open for appending; the caller closes it (closeSync) once the child holds its own copy. */
  fd: number;
  /** Size of the file when opened: where this run's output begins. */
  offset: number;
}

/**
 * Opens a service's log for appending (creating it 0600) and says where new output will begin.
 * Sync calls: a start is a handful of local file operations, each cheaper than a round trip
 * through libuv's thread pool, which a start of 50 services would otherwise queue on.
 */
export async function openLogForAppend(stateDir: string, service: string): Promise<OpenedLog> {
  await ensureLogsDir(stateDir);
  const file = logFileOf(stateDir, service);
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
  let fd: number;
  try {
    fd = openOwnFileSync(file, flags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    ensured.delete(stateDir);
    await ensureLogsDir(stateDir);
    fd = openOwnFileSync(file, flags);
  }
  try {
    const { size, ino } = fstatSync(fd);
    // A new file may reuse the inode number of a log deleted behind stack's back: what the
    // index says about that number describes the old file, not this one.
    // Most logs never rotated and have no index to forget the number in.
    if (size === 0 && existsSync(logIndexFile(file))) await withRotationLock(file, () => forgetInode(file, ino));
    return { file, fd, offset: size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** Appends a framed line of stack's own (log-line.ts) to a service's log; a log that cannot be written is left alone. */
export async function appendLogMarker(file: string, text: string, at = new Date()): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await openOwnFile(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
    await handle.write(frameLine({ text, stream: 'stack', at: stampOf(at) }));
  } catch {
    // A marker is a courtesy: a full disk or a removed folder must not fail a restart.
  } finally {
    await handle?.close();
  }
}

// The relays of runs this process started, by log file and the run's first byte: a run that
// ended is quoted once its relay has written everything the run printed.
const relays = new Map<string, { exited: Promise<unknown>; runEnded: boolean }>();
/** How long a quote waits for a relay still holding the output (a descendant kept it open). */
const RELAY_DRAIN_MS = 500;

/**
 * Remembers the relay of the run whose output begins at `offset` of `file`, until it exits;
 * `runEnded` settles when the run itself ends (its relay then only drains what is left).
 */
export function noteRelay(file: string, offset: number, exited: Promise<unknown>, runEnded?: Promise<unknown>): void {
  const key = `${file}\0${offset}`;
  const entry = { exited, runEnded: false };
  relays.set(key, entry);
  void exited.finally(() => relays.delete(key));
  void runEnded?.then(() => (entry.runEnded = true));
}

/**
 * Waits (briefly) until the relay of the run at `offset` of `file` has written all the run
 * printed: a run that exited right after it started is quoted from its log, and its last line
 * may still be in the pipe. Nothing to wait for when this process did not start the run.
 */
export async function outputWritten(file: string, offset: number): Promise<void> {
  const entry = relays.get(`${file}\0${offset}`);
  if (entry) await drained([entry.exited]);
}

/**
 * Waits (briefly) until the relays of `file`'s runs that ended have written what those runs
 * printed: a marker of an end (`── backup completed ──`) then follows the run's last line,
 * not its relay's lag. A run still going is not waited for.
 */
export async function endedOutputWritten(file: string): Promise<void> {
  const ended = [...relays].filter(([key, entry]) => entry.runEnded && key.startsWith(`${file}\0`)).map(([, entry]) => entry.exited);
  if (ended.length > 0) await drained(ended);
}

async function drained(exits: readonly Promise<unknown>[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(exits), new Promise((resolve) => (timer = setTimeout(resolve, RELAY_DRAIN_MS)))]);
  clearTimeout(timer);
}

/**
 * Runs a shell command line (a plugin's lifecycle command, an exec service's start or stop) with
 * its output through a log relay into `log`, as a service's; its relay noted, so a quote of its
 * output waits for it (outputWritten). The caller closes `log.fd`.
 */
export async function runShellLogged(script: string, log: OpenedLog, options: Omit<RunShellOptions, 'outputFd' | 'output'>): Promise<CommandResult> {
  const relay = await openLogRelay(log.fd, { verbose: options.verbose });
  noteRelay(log.file, log.offset, relay.exited);
  try {
    return await runShell(script, { ...options, outputFd: log.fd, output: relay });
  } finally {
    relay.close();
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
 * Done before a start, when no process writes to it; a log in use is rotated by
 * rotate-live.ts instead.
 */
export function rotateLogIfLarge(file: string, spec: LogSpec): Promise<boolean> {
  if (spec.maxSizeBytes <= 0 || !isLarge(file, spec)) return Promise.resolve(false);
  return withRotationLock(file, () => renameIfLarge(file, spec));
}

// Sync and without throwing: on a first start no log exists, and 50 rejected stats cost
// milliseconds in error objects alone. Checked before taking the lock too: most starts find a
// small log and need no turn of it.
function isLarge(file: string, spec: LogSpec): boolean {
  const info = statSync(file, { throwIfNoEntry: false });
  return info !== undefined && info.size > spec.maxSizeBytes;
}

async function renameIfLarge(file: string, spec: LogSpec): Promise<boolean> {
  // Again under the lock: a rotation that held it may have moved the file meanwhile.
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info || info.size <= spec.maxSizeBytes) return false;
  if (spec.maxFiles < 1) {
    await (await openOwnFile(file, constants.O_WRONLY | constants.O_TRUNC)).close();
    return true;
  }
  // Recorded in the index (log-index.ts), so a follower that is behind finds this file's
  // bytes, and those cut from it earlier, in the rotated files.
  const index = await settledLogIndex(file, spec.maxFiles);
  await writeLogIndex(file, { ...index, generation: index.generation + 1, pending: { kind: 'rename', ino: info.ino, ...rotator() } });
  const start = removedFrom(index, info.ino);
  const files = await shiftRotated(file, index, spec.maxFiles, { ino: info.ino, start, end: start + info.size });
  await rename(file, `${file}.1`);
  await writeLogIndex(file, { generation: index.generation + 2, removed: pruneRemoved(index.removed, files, undefined), files });
  return true;
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

/** Reads `file` from byte `offset` to its end ('' when it does not exist). */
export async function readLogFrom(file: string, offset: number): Promise<string> {
  return (await readBytesFrom(file, offset)).toString('utf8');
}

async function readBytesFrom(file: string, offset: number, end?: number): Promise<Buffer> {
  let handle: FileHandle;
  try {
    handle = await openOwnFile(file, constants.O_RDONLY);
  } catch (error) {
    ignoreMissing(error);
    return Buffer.alloc(0);
  }
  try {
    const { size } = await handle.stat();
    const stop = Math.min(end ?? size, size);
    const start = Math.min(Math.max(offset, 0), stop);
    return await readFully(handle, start, stop - start);
  } finally {
    await handle.close();
  }
}

const TAIL_BYTES = 64 * 1024;
/** How far back `stack logs -n` reads at most, for many lines or long ones: 4× further each time lines are short. */
export const MAX_TAIL_BYTES = 16 * 1024 * 1024;

export interface TailOptions {
  /** Only after this byte (a run's first), and not before `file.1`'s end. */
  offset?: number;
  /** Only before this byte. */
  end?: number | undefined;
  /** Keeps a line's piece at the window's start, passed through this as cut at its start. */
  cutLine?: Redact | undefined;
  /** How far back it reads at most (64 KiB unless said). */
  maxBytes?: number;
  /** Only the stored lines this accepts count and are returned (`--grep`, `--since`). */
  keep?: ((raw: string) => boolean) | undefined;
}

/**
 * The last `lines` lines of `file` as stored (framed: log-line.ts), within its last `maxBytes`:
 * read back from the last 64 KiB, further while lines are short of `lines`; optionally only
 * after `offset` and before `end`, and only those `keep` accepts.
 * Without an offset, a file whose front was cut while its service ran (rotate-live.ts) is
 * read on from the end of `file.1`, where its first line began.
 * A window that begins inside a line leaves that line's piece out, as `tail` does: it may be the
 * end of a secret, which no redactor knows as one. With `cutLine` (a failure's last lines, where
 * one long line is all a flood left) the piece is kept, passed through `cutLine` as cut at its start.
 */
export async function readLogTail(file: string, lines: number, options: TailOptions = {}): Promise<string[]> {
  if (lines <= 0) return [];
  const { offset = 0, end, cutLine, maxBytes = TAIL_BYTES, keep } = options;
  const info = await stat(file).catch(() => undefined);
  const size = Math.min(end ?? Infinity, info?.size ?? 0);
  const continued = offset === 0 && info !== undefined && (await readLogIndex(file)).files[0]?.ino === info.ino;
  for (let window = Math.min(TAIL_BYTES, maxBytes); ; window = Math.min(window * 4, maxBytes)) {
    const { all, whole } = await tailWindow(file, size, window, offset, continued, cutLine);
    const kept = keep ? all.filter(keep) : all;
    if (kept.length >= lines || whole || window >= maxBytes) return kept.slice(-lines);
  }
}

/** The text of a log's last lines, as a failure quotes them: the service's, not stack's own, the frame left out. */
export async function readLogTextTail(file: string, lines: number, options: TailOptions = {}): Promise<string[]> {
  const keep = options.keep;
  const theirs = (raw: string) => parseLogLine(raw).stream !== 'stack' && (keep === undefined || keep(raw));
  return joinPieces((await readLogTail(file, lines, { ...options, keep: theirs })).map(parseLogLine)).slice(-lines);
}

/** The texts of lines, a line the relay cut in pieces (longer than 64 KiB) whole again. */
function joinPieces(lines: readonly LogLine[]): string[] {
  const texts: string[] = [];
  const open = new Map<string, number>();
  for (const line of lines) {
    const at = open.get(line.stream);
    if (at === undefined) texts.push(line.text);
    else texts[at] += line.text;
    if (line.continues) open.set(line.stream, at ?? texts.length - 1);
    else open.delete(line.stream);
  }
  return texts;
}

/** The lines of the last `window` bytes (of `file.1` too, when `continued` and `file` is shorter); `whole` when nothing was left before them. */
async function tailWindow(file: string, size: number, window: number, offset: number, continued: boolean, cutLine: Redact | undefined): Promise<{ all: string[]; whole: boolean }> {
  const start = Math.max(offset, size - window);
  let read = await readWholeLines(file, start, size, offset, cutLine !== undefined);
  let whole = start <= offset && !continued;
  if (continued && size < window) {
    const before = `${file}.1`;
    const from = (await fileSize(before)) - (window - size);
    const earlier = await readWholeLines(before, from, undefined, 0, cutLine !== undefined);
    const opening = earlier.bytes.length > 0 ? earlier : read;
    read = { bytes: Buffer.concat([earlier.bytes, read.bytes]), cut: opening.cut, ...(opening.framed ? { framed: true as const } : {}) };
    whole = from <= 0;
  }
  const all = read.bytes.toString('utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  // Only the text is cut (a frame kept with it stays as it is).
  const first = all[0];
  if (read.cut && cutLine && first !== undefined) all[0] = read.framed ? `${first.slice(0, FRAME_BYTES)}${cutLine(first.slice(FRAME_BYTES), { start: true })}` : cutLine(first, { start: true });
  return { all, whole };
}

/**
 * `file` from `start` (up to `end`), from its first whole line when `start` is past `floor` and
 * inside a line, unless `keepCut`: then from `start`, and `cut` says a line's piece begins it.
 */
async function readWholeLines(file: string, start: number, end: number | undefined, floor: number, keepCut: boolean): Promise<{ bytes: Buffer; cut: boolean; framed?: true }> {
  if (start <= floor) return { bytes: await readBytesFrom(file, start, end), cut: false };
  // One byte before: a newline there means `start` begins a line.
  const bytes = await readBytesFrom(file, start - 1, end);
  const newline = bytes.indexOf(0x0a);
  if (newline === 0 || !keepCut) return { bytes: newline < 0 ? Buffer.alloc(0) : bytes.subarray(newline + 1), cut: false };
  const piece = bytes.subarray(1);
  if (piece.length === 0) return { bytes: piece, cut: false };
  // The piece keeps its record's frame (its time, its stream, whether the line goes on), read
  // from where its record began: no record is longer than a frame and 64 KiB.
  const frame = await frameBefore(file, start, floor);
  if (frame === undefined) return { bytes: piece, cut: true };
  const text = start >= frame.start + FRAME_BYTES ? piece : piece.subarray(frame.start + FRAME_BYTES - start);
  return { bytes: Buffer.concat([frame.bytes, text]), cut: true, framed: true };
}

/** The frame of the record that `position` falls inside, when it is within reach and framed. */
async function frameBefore(file: string, position: number, floor: number): Promise<{ start: number; bytes: Buffer } | undefined> {
  const from = Math.max(floor, position - MAX_RECORD_BYTES);
  const before = await readBytesFrom(file, from, position);
  const newline = before.lastIndexOf(0x0a);
  if (newline < 0 && from > floor) return undefined;
  const start = from + newline + 1;
  const head = await readBytesFrom(file, start, start + FRAME_BYTES);
  return stampOfRaw(head.toString('latin1')) === undefined ? undefined : { start, bytes: head };
}

/** Whole-file read, for tests and `stack logs`. */
export async function readLog(file: string): Promise<string> {
  return (await readBytesFrom(file, 0)).toString('utf8');
}
