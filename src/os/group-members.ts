/**
 * Which processes are in a process group, read from /proc: the questions a stop asks many times
 * at once. Scans and listings of /proc are shared by the questions asked before they begin.
 */

import { readdirSync } from 'node:fs';
import { parseProcStat, ProcUnavailableError, readProcFile, readStatText, type ProcStat } from './proc-stat.js';
import { monotonicMs } from './monotonic.js';

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
  /** The pids the scan found in each session and each group: the members a waiter on group G must read again. */
  byGroupOrSession: Map<number, number[]>;
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
  if (!since || monotonicMs() - since.at > BASELINE_MAX_AGE_MS) return undefined;
  const { cursor: from, pidMax } = since;
  const listing = await listProcesses();
  const { to, statOf } = listing;
  if (to === undefined || to >= pidMax || (to - from + pidMax) % pidMax > Math.min(MAX_NEW_PIDS, pidMax / 2)) return undefined;
  // A group whose leader is gone (reaped) or did not make its own session: scan.
  const leader = statOf(pgid);
  if (!leader || leader.session !== pgid) return undefined;
  const stats: ProcStat[] = [];
  for (const pid of [...listing.newSince(since), ...(since.byGroupOrSession.get(pgid) ?? [])]) {
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
  /** The listed pids a baseline did not know, or whose number was handed out again since it (worked out once per listing). */
  newSince: (since: Baseline) => readonly number[];
}

// Like full scans, listings are shared: stopping 50 groups at once lists /proc a few times, not
// 50, and reads each candidate's stat once per listing instead of once per waiter. And a listing
// is only made again when a pid was handed out since the last one (ns_last_pid moved): with none
// handed out, no process exists that the last listing did not name, so its pids (some now gone)
// are still every candidate. Stopping 1,000 services hands out none, and listing /proc with
// 2,000 entries is what those waits cost (1.4 of 5.5 s of a profiled `down` of 1,000).
let nextListing: Promise<Listing> | undefined;
let lastListed: { to: number; pids: number[] } | undefined;
let listings = 0;

function listProcesses(): Promise<Listing> {
  nextListing ??= new Promise<Listing>((resolve, reject) => {
    setImmediate(() => {
      nextListing = undefined;
      try {
        const to = readNumberFile('/proc/sys/kernel/ns_last_pid');
        const reused = to !== undefined && lastListed?.to === to ? lastListed.pids : undefined;
        const pids = reused ?? listPids();
        listings += 1;
        lastListed = to === undefined ? undefined : { to, pids };
        resolve(listingOf(to, pids));
      } catch (error) {
        reject(error);
      }
    });
  });
  return nextListing;
}

function listingOf(to: number | undefined, pids: number[]): Listing {
  const read = new Map<number, ProcStat | undefined>();
  const statOf = (pid: number): ProcStat | undefined => {
    if (!read.has(pid)) read.set(pid, readStatQuietly(pid));
    return read.get(pid);
  };
  let fresh: { since: Baseline; pids: number[] } | undefined;
  const newSince = (since: Baseline): readonly number[] => {
    if (fresh?.since !== since) {
      const handedOut = (pid: number): boolean => to !== undefined && handedOutBetween(pid, since.cursor, to, since.pidMax);
      fresh = { since, pids: pids.filter((pid) => !since.byPid.has(pid) || handedOut(pid)) };
    }
    return fresh.pids;
  };
  return { to, pids, statOf, newSince };
}

/** How many listings of /proc this process made to answer group questions (tests check that stops share them). */
export function listingCount(): number {
  return listings;
}

/** The pids listed in /proc (processes, not threads). */
export function listPids(): number[] {
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

/** Whether any process, a zombie included, is in group `pgid` (one `kill -0` of the group). */
export function groupExists(pgid: number): boolean {
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

/** The stat of every process, from a scan that begins after this call (shared with callers until then). */
export function sharedProcessScan(): Promise<ProcStat[]> {
  return scanProcesses();
}

function membersBy(stats: readonly ProcStat[]): Map<number, number[]> {
  const by = new Map<number, number[]>();
  const add = (key: number, pid: number): void => {
    const list = by.get(key);
    if (list) list.push(pid);
    else by.set(key, [pid]);
  };
  for (const stat of stats) {
    add(stat.pgrp, stat.pid);
    if (stat.session !== stat.pgrp) add(stat.session, stat.pid);
  }
  return by;
}

/** The stat of every process, read now. Throws ProcUnavailableError when /proc cannot be listed. */
export function scanProcStats(): ProcStat[] {
  // Read before listing: a process created during the scan counts as created after it.
  const cursor = readNumberFile('/proc/sys/kernel/ns_last_pid');
  const pidMax = readNumberFile('/proc/sys/kernel/pid_max');
  const at = monotonicMs();
  const stats: ProcStat[] = [];
  for (const pid of listPids()) {
    const stat = readStatQuietly(pid);
    if (stat) stats.push(stat);
  }
  fullScans += 1;
  baseline = cursor === undefined || pidMax === undefined || cursor >= pidMax ? undefined : { cursor, pidMax, at, byPid: new Map(stats.map((stat) => [stat.pid, stat])), byGroupOrSession: membersBy(stats) };
  return stats;
}
