import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
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
function readProcFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    return procBuffer.toString('utf8', 0, readSync(fd, procBuffer, 0, procBuffer.length, 0));
  } finally {
    closeSync(fd);
  }
}

function readStatText(pid: number): string {
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

/** Judges a recorded pid. `kill -0` is not enough: it succeeds on zombies and on recycled pids. */
export async function checkOwnership(pid: number, startTicks: number): Promise<Ownership> {
  const stat = await readProcStat(pid);
  if (!stat) return 'gone';
  if (stat.startTicks !== startTicks) return 'recycled';
  return stat.state === 'Z' ? 'zombie' : 'ours';
}

/** True when `pid` is alive, not a zombie, and started at `startTicks`. */
export async function isOurs(pid: number, startTicks: number): Promise<boolean> {
  return (await checkOwnership(pid, startTicks)) === 'ours';
}

/** Every live (non-zombie) process whose process group is `pgid`. */
export async function listGroupMembers(pgid: number): Promise<ProcStat[]> {
  // Fast path: no process at all in the group (zombies included) means nothing to scan for.
  if (!groupExists(pgid)) return [];
  const candidates = (await candidatesSinceScan(pgid)) ?? (await scanProcesses());
  return candidates.filter((stat) => stat.pgrp === pgid && stat.state !== 'Z');
}

/*
 * Where PID 1 reaps late, a stopped group's dead leader lingers as a zombie, so the group still
 * exists and only reading processes tells whether a member outlived it. Most of those reads can
 * be skipped when the leader (pid G) made its own session, as every run stack starts does: every
 * member of group G is then in session G, and no process enters a session it was not forked
 * into. So a process listed in /proc now is read only if the last full scan did not list it
 * (created since, or not yet visible then), or listed it in session or group G, or its pid was
 * handed out again since (Linux hands out pids in a cycle; /proc/sys/kernel/ns_last_pid names
 * the last one). Listing /proc is one cheap call; reading every process's stat is what a full
 * scan costs. A baseline older than BASELINE_MAX_AGE_MS, or with more than MAX_NEW_PIDS pids (or
 * half of pid_max) handed out since, means a full scan again (the cycle cannot come round).
 */
const BASELINE_MAX_AGE_MS = 2000;
const MAX_NEW_PIDS = 4096;

interface Baseline {
  /** ns_last_pid read before the scan listed /proc. */
  cursor: number;
  pidMax: number;
  at: number;
  byPid: Map<number, ProcStat>;
}
let baseline: Baseline | undefined;
let fullScans = 0;

/** How many full scans of /proc this process made (tests check that a stop needed few). */
export function fullScanCount(): number {
  return fullScans;
}

function readNumberFile(file: string): number | undefined {
  try {
    const value = Number(readProcFile(file).trim());
    return Number.isInteger(value) && value >= 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` was handed out after `from` and up to `to`, on the cycle of pids below `pidMax`
 * (pure: the ring arithmetic of the check above).
 */
export function handedOutBetween(pid: number, from: number, to: number, pidMax: number): boolean {
  const since = (pid - from + pidMax) % pidMax;
  return since >= 1 && since <= (to - from + pidMax) % pidMax;
}

/** The stats that can be in group `pgid` now, read now; undefined when a full scan is needed. */
async function candidatesSinceScan(pgid: number): Promise<ProcStat[] | undefined> {
  const since = baseline;
  if (!since || performance.now() - since.at > BASELINE_MAX_AGE_MS) return undefined;
  const { cursor: from, pidMax, byPid } = since;
  const { to, pids, statOf } = await listProcesses();
  if (to === undefined || to >= pidMax || (to - from + pidMax) % pidMax > Math.min(MAX_NEW_PIDS, pidMax / 2)) return undefined;
  // A group whose leader is gone (reaped) or did not make its own session: scan.
  const leader = statOf(pgid);
  if (!leader || leader.session !== pgid) return undefined;
  const stats: ProcStat[] = [];
  for (const pid of pids) {
    const known = byPid.get(pid);
    if (known && known.session !== pgid && known.pgrp !== pgid && !handedOutBetween(pid, from, to, pidMax)) continue;
    const stat = statOf(pid);
    if (stat) stats.push(stat);
  }
  return stats;
}

/** A listing of /proc, with the stats read from it so far. */
interface Listing {
  /** ns_last_pid, read before /proc was listed. */
  to: number | undefined;
  pids: number[];
  /** Reads a stat once per listing: every waiter that shares the listing asked before it began. */
  statOf: (pid: number) => ProcStat | undefined;
}

// Like full scans, listings are shared: stopping 50 groups at once lists /proc a few times, not
// 50, and reads each candidate's stat once per listing instead of once per waiter.
let nextListing: Promise<Listing> | undefined;
let listings = 0;

function listProcesses(): Promise<Listing> {
  nextListing ??= new Promise<Listing>((resolve, reject) => {
    setImmediate(() => {
      nextListing = undefined;
      try {
        const to = readNumberFile('/proc/sys/kernel/ns_last_pid');
        const pids = listPids();
        const read = new Map<number, ProcStat | undefined>();
        const statOf = (pid: number): ProcStat | undefined => {
          if (!read.has(pid)) read.set(pid, readStatQuietly(pid));
          return read.get(pid);
        };
        listings += 1;
        resolve({ to, pids, statOf });
      } catch (error) {
        reject(error);
      }
    });
  });
  return nextListing;
}

/** How many listings of /proc this process made to answer group questions (tests check that stops share them). */
export function listingCount(): number {
  return listings;
}

/** The pids listed in /proc (processes, not threads). */
function listPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (error) {
    throw new ProcUnavailableError('cannot list /proc', error);
  }
  const pids: number[] = [];
  for (const entry of entries) if (/^\d+$/.test(entry)) pids.push(Number(entry));
  return pids;
}

/** A stat, or undefined when the process is gone or cannot be read (hidepid: another user's). */
function readStatQuietly(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readStatText(pid));
  } catch {
    return undefined;
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

// Stopping 50 services polls 50 groups at once. A waiter whose leader is dead needs a scan of
// /proc that begins after it asks (an older one may still show the leader alive); every waiter
// that asks before the next scan begins shares it, so 50 stops cost a few scans, not 50.
let nextScan: Promise<ProcStat[]> | undefined;

function scanProcesses(): Promise<ProcStat[]> {
  nextScan ??= new Promise<ProcStat[]>((resolve, reject) => {
    setImmediate(() => {
      nextScan = undefined;
      try {
        resolve(scanProcStats());
      } catch (error) {
        reject(error);
      }
    });
  });
  return nextScan;
}

/** The stat of every process, read now. Throws ProcUnavailableError when /proc cannot be listed. */
export function scanProcStats(): ProcStat[] {
  // Read before listing: a process created during the scan counts as created after it.
  const cursor = readNumberFile('/proc/sys/kernel/ns_last_pid');
  const pidMax = readNumberFile('/proc/sys/kernel/pid_max');
  const at = performance.now();
  const stats: ProcStat[] = [];
  for (const pid of listPids()) {
    const stat = readStatQuietly(pid);
    if (stat) stats.push(stat);
  }
  fullScans += 1;
  baseline = cursor === undefined || pidMax === undefined || cursor >= pidMax ? undefined : { cursor, pidMax, at, byPid: new Map(stats.map((stat) => [stat.pid, stat])) };
  return stats;
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
