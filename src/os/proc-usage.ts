/**
 * CPU time and resident memory of whole process groups, read from /proc: what `status` shows as
 * a process service's `cpu` and `memory` (and its leader's argv, its `command`).
 */

import { readFileSync } from 'node:fs';
import { CLOCK_TICKS_PER_SECOND, readProcFile, readStatText } from './proc-stat.js';
import { listPids } from './group-members.js';

/** The fields of `/proc/<pid>/stat` a usage reading needs. */
export interface ProcUsage {
  pid: number;
  /** `Z`: a zombie, whose ticks count until its parent reaps it (they then move to the parent's cutime). */
  state: string;
  pgrp: number;
  /**
   * utime + stime + cutime + cstime (fields 14 to 17), in clock ticks: the children's part is the
   * time of children this process reaped, so a short-lived command a service ran is counted.
   */
  cpuTicks: number;
  /** Field 24: resident set size in pages (0 for a zombie). */
  rssPages: number;
}

/** What a process group uses now: the sums over its members. */
export interface GroupUsage {
  cpuTicks: number;
  rssBytes: number;
  /** Live members (zombies left out). */
  processes: number;
}

/** Parses the usage fields of one `/proc/<pid>/stat` line (read after the last `)`: comm may hold one). */
export function parseProcUsage(text: string): ProcUsage | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // fields[0] is field 3 (state), so field N is fields[N - 3]; only up to field 24 is needed.
  const fields = text.slice(close + 2).split(' ', 22);
  if (fields.length < 22) return undefined;
  const pid = Number(text.slice(0, open).trim());
  const pgrp = Number(fields[2]);
  const times = [11, 12, 13, 14].map((index) => Number(fields[index]));
  const rssPages = Number(fields[21]);
  const state = fields[0] ?? '';
  if (!state || ![pid, pgrp, rssPages, ...times].every(Number.isInteger)) return undefined;
  return { pid, state, pgrp, cpuTicks: times.reduce((sum, time) => sum + time, 0), rssPages };
}

/** The page size in bytes, from the first mapping in /proc/self/smaps (`KernelPageSize: 4 kB`); 4096 when it cannot be read. */
export function parsePageSize(smaps: string): number | undefined {
  const match = /^KernelPageSize:\s+(\d+) kB$/m.exec(smaps);
  return match?.[1] ? Number(match[1]) * 1024 : undefined;
}

let pageBytes: number | undefined;
function pageSize(): number {
  if (pageBytes === undefined) {
    let smaps = '';
    try {
      smaps = readProcFile('/proc/self/smaps');
    } catch {
      // Read below as the common size.
    }
    pageBytes = parsePageSize(smaps) ?? 4096;
  }
  return pageBytes;
}

/**
 * The usage of each of `pgids` that has a live process now (one pass over /proc). Memory is the sum of
 * the members' RSS: a page two members share counts for each, as `ps` and `top` count it.
 */
export function readGroupUsage(pgids: ReadonlySet<number>): Map<number, GroupUsage> {
  const usage = new Map<number, GroupUsage>();
  if (pgids.size === 0) return usage;
  const bytesPerPage = pageSize();
  for (const pid of listPids()) {
    const stat = readUsageQuietly(pid);
    if (!stat || !pgids.has(stat.pgrp)) continue;
    const sum = usage.get(stat.pgrp) ?? { cpuTicks: 0, rssBytes: 0, processes: 0 };
    const live = stat.state === 'Z' || stat.state === 'X' ? 0 : 1;
    usage.set(stat.pgrp, { cpuTicks: sum.cpuTicks + stat.cpuTicks, rssBytes: sum.rssBytes + stat.rssPages * bytesPerPage, processes: sum.processes + live });
  }
  for (const [pgid, sum] of usage) if (sum.processes === 0) usage.delete(pgid);
  return usage;
}

/** A process's argv from `/proc/<pid>/cmdline` (as the process shows it, after any change of its title), or undefined when it is gone or hides it. */
export function readArgv(pid: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  // A zombie's (and a kernel thread's) is empty. A process that set its title (redis, nginx,
  // postgres) pads the rest of its old argv with NULs: those are no arguments.
  const argv = text.replace(/\0+$/, '').split('\0');
  return text === '' || argv[0] === '' ? undefined : argv;
}

function readUsageQuietly(pid: number): ProcUsage | undefined {
  try {
    return parseProcUsage(readStatText(pid));
  } catch {
    return undefined;
  }
}

/**
 * Percent of one core used between two readings of a group's ticks, `elapsedMs` apart (one
 * decimal). Never below 0: a member that leaves the group (or is reaped by a process outside
 * it) takes its ticks with it, and that interval reads low rather than negative.
 */
export function cpuPercent(ticksBefore: number, ticksNow: number, elapsedMs: number): number | null {
  if (elapsedMs <= 0) return null;
  const seconds = Math.max(0, ticksNow - ticksBefore) / CLOCK_TICKS_PER_SECOND;
  return Math.round((seconds / (elapsedMs / 1000)) * 1000) / 10;
}
