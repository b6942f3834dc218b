import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** The fields of `/proc/<pid>/stat` that stack relies on. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** One of R S D Z T t X I …; `Z` is a zombie (dead, not yet reaped). */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Field 22: start time in clock ticks since boot. Fixed at fork, unchanged by exec. */
  startTicks: number;
}

/** Whether a recorded pid still is the process stack started. */
export type Ownership = 'ours' | 'gone' | 'zombie' | 'recycled';

// USER_HZ is 100 on every Linux architecture stack supports (`getconf CLK_TCK` says 100);
// the kernel reports /proc times in USER_HZ whatever its internal HZ is.
export const CLOCK_TICKS_PER_SECOND = 100;

/** Thrown when /proc itself cannot be read, so no pid can be judged. */
export class ProcUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'ProcUnavailableError';
  }
}

/**
 * Parses one `/proc/<pid>/stat` line. The comm field is in parentheses and may itself hold
 * spaces and `)`, so the fixed fields are read after the LAST `)`.
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Fields 3 to 22 follow `) `, one space apart; only those up to field 22 are cut out (a scan
  // of /proc parses every process, and splitting all ~50 fields was most of its cost).
  const fields: string[] = [];
  let at = close + 2;
  while (fields.length < 20 && at <= text.length) {
    let end = text.indexOf(' ', at);
    if (end < 0) end = text.length;
    fields.push(text.slice(at, end).trim());
    at = end + 1;
  }
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  const state = fields[0];
  const pid = Number(text.slice(0, open).trim());
  const ppid = Number(fields[1]);
  const pgrp = Number(fields[2]);
  const session = Number(fields[3]);
  const startTicks = Number(fields[19]);
  if (!state || fields.length < 20 || ![pid, ppid, pgrp, session, startTicks].every(Number.isInteger)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state, ppid, pgrp, session, startTicks };
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

let procChecked = false;
function assertProcMounted(): void {
  if (procChecked) return;
  try {
    readFileSync('/proc/self/stat', 'utf8');
    procChecked = true;
  } catch (error) {
    throw new ProcUnavailableError('cannot read /proc (is procfs mounted?)', error);
  }
}

// Every /proc/<pid>/stat (and the pid counters) is read into this one buffer: a stat line is a few hundred bytes, and
// open/read/close skips the fstat, options and buffer of readFileSync (a scan reads them all).
const procBuffer = Buffer.allocUnsafe(4096);

/** The text of a small /proc file; throws as the file system does (ENOENT/ESRCH: gone). */
export function readProcFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    return procBuffer.toString('utf8', 0, readSync(fd, procBuffer, 0, procBuffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

export function readStatText(pid: number): string {
  return readProcFile(`/proc/${pid}/stat`);
}

/**
 * The stat of a pid, or undefined when no such process exists. Throws ProcUnavailableError.
 * Read synchronously: the file is generated on read, and a trip through the I/O threads costs
 * more than the read.
 */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  return readProcStatSync(pid);
}

/** Synchronous variant, used right after spawn so the child cannot be reaped before it is read. */
export function readProcStatSync(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readStatText(pid));
  } catch (error) {
    assertProcMounted();
    if (isMissing(error)) return undefined;
    throw new ProcUnavailableError(`cannot read /proc/${pid}/stat`, error);
  }
}

/**
 * Whether `pid` is a live process (not a zombie) and, when `startTicks` is known, the same one
 * that was recorded: how a lock owner or a rotating process is told from a recycled pid.
 */
export function isRunning(pid: number, startTicks?: number): boolean {
  const stat = readProcStatSync(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTicks === undefined || startTicks === stat.startTicks;
}

/** This process's start ticks, recorded beside its pid (lock owner, rotating process). */
export function ownStartTicks(): number | undefined {
  return readProcStatSync(process.pid)?.startTicks;
}

/**
 * Whether any process has `pid` (one `kill -0`, no read of /proc): a zombie and a process that
 * got the pid again count too, so it says only that a run is not gone (see checkOwnership).
 * The group's counterpart is groupExists (group-members.ts).
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, run as another user (a service's `user:`).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Judges a recorded pid. `kill -0` is not enough: it succeeds on zombies and on recycled pids. */
export async function checkOwnership(pid: number, startTicks: number): Promise<Ownership> {
  return ownershipOf(await readProcStat(pid), startTicks);
}

/** checkOwnership of a stat already read (undefined: no such process). */
export function ownershipOf(stat: ProcStat | undefined, startTicks: number): Ownership {
  if (!stat) return 'gone';
  if (stat.startTicks !== startTicks) return 'recycled';
  return stat.state === 'Z' ? 'zombie' : 'ours';
}

/** True when `pid` is alive, not a zombie, and started at `startTicks`. */
export async function isOurs(pid: number, startTicks: number): Promise<boolean> {
  return (await checkOwnership(pid, startTicks)) === 'ours';
}


/** Seconds since the epoch at boot, from the `btime` line of /proc/stat. */
export async function readBootTime(): Promise<number> {
  const text = await readFile('/proc/stat', 'utf8').catch((error: unknown) => {
    throw new ProcUnavailableError('cannot read /proc/stat', error);
  });
  const match = /^btime\s+(\d+)$/m.exec(text);
  if (!match?.[1]) throw new ProcUnavailableError('no btime in /proc/stat');
  return Number(match[1]);
}

/** Turns start ticks since boot into an ISO time (to the tick, i.e. 10 ms). */
export function ticksToIso(startTicks: number, bootTimeSeconds: number): string {
  return new Date(bootTimeSeconds * 1000 + (startTicks * 1000) / CLOCK_TICKS_PER_SECOND).toISOString();
}
