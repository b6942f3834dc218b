/**
 * What a run started outside its process group: `setsid daemon &`, `env -i setsid daemon &`.
 * Such a process leaves the group (so a signal to the group misses it) and may clear the marker
 * variables (so a scan of environments misses it), but while its parent lives its PPid still
 * links it to the run. The tree is read before the group is signalled: once the parent dies the
 * link is gone (the kernel hands the orphan to init or the nearest subreaper).
 */

import { existsSync, readdirSync } from 'node:fs';
import { signalGroup } from './runner.js';
import { sharedProcessScan } from './group-members.js';
import { readProcFile, readProcStatSync, type ProcStat } from './proc-stat.js';

/** A process outside the run's group, descended from one of its members. */
export interface Descendant {
  pid: number;
  startTicks: number;
  /** Its own group, when it leads one (setsid made it leader of a session and a group). */
  leads: boolean;
}

/**
 * Every live process descended (through PPid links) from a member of group `pgid` but outside
 * that group, from one scan of /proc. Children of those are found too, in any group.
 */
export async function descendantsOutside(pgid: number, leaderRead?: ProcStat): Promise<Descendant[]> {
  // From a live leader the tree is read through its children lists: a few reads per service,
  // where a scan reads every process (stopping 50 services cost ~200 ms more that way). Members
  // whose leader is gone hang off init, so only a scan finds them. `leaderRead`: the leader's
  // stat as the caller just read it (a stop judges the pid by it first), not read twice.
  const leader = leaderRead?.pid === pgid ? leaderRead : readProcStatSync(pgid);
  if (leader && leader.state !== 'Z' && leader.pgrp === pgid) {
    const walked = walkChildren(leader, pgid);
    if (walked) return walked;
  }
  return treeOutside(await sharedProcessScan(), pgid);
}

/** The pids listed in /proc/<pid>/task/<tid>/children; undefined when the kernel has no such file. */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const task of tasks) {
    let text: string;
    try {
      text = readProcFile(`/proc/${pid}/task/${task}/children`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && task === String(pid) && existsSync(`/proc/${pid}`)) return undefined;
      continue;
    }
    for (const word of text.split(' ')) if (word !== '') children.push(Number(word));
  }
  return children;
}

/** treeOutside from the leader down, read through children lists; undefined when they cannot be read. */
function walkChildren(leader: ProcStat, pgid: number): Descendant[] | undefined {
  const found: Descendant[] = [];
  const seen = new Set<number>([leader.pid]);
  const queue = [leader.pid];
  while (queue.length > 0) {
    const children = childrenOf(queue.shift() as number);
    if (children === undefined) return undefined;
    for (const pid of children) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      const child = readProcStatSync(pid);
      if (!child || child.state === 'Z') continue;
      queue.push(pid);
      if (child.pgrp !== pgid) found.push({ pid, startTicks: child.startTicks, leads: child.pgrp === pid });
    }
  }
  return found;
}

/** The walk itself, on a given scan (pure, for tests). */
export function treeOutside(stats: readonly ProcStat[], pgid: number): Descendant[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) {
    if (stat.pid === stat.ppid) continue;
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const found: Descendant[] = [];
  const seen = new Set<number>();
  const queue = stats.filter((stat) => stat.pgrp === pgid).map((stat) => stat.pid);
  for (const pid of queue) seen.add(pid);
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const child of children.get(parent) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      queue.push(child.pid);
      if (child.pgrp !== pgid && child.state !== 'Z') found.push({ pid: child.pid, startTicks: child.startTicks, leads: child.pgrp === child.pid });
    }
  }
  return found;
}

/** Whether `descendant` is still the live process that was found (not a recycled pid). */
export function stillRunning(descendant: Descendant): ProcStat | undefined {
  const stat = readProcStatSync(descendant.pid);
  return stat && stat.state !== 'Z' && stat.state !== 'X' && stat.startTicks === descendant.startTicks ? stat : undefined;
}

/**
 * Sends `signal` to each descendant that is still the process found: to its whole group when it
 * leads one (what it forked since stays in it), else to it alone. Returns those signalled.
 */
export function signalDescendants(descendants: readonly Descendant[], signal: NodeJS.Signals, verbose?: (line: string) => void): Descendant[] {
  const signalled: Descendant[] = [];
  for (const descendant of descendants) {
    const stat = stillRunning(descendant);
    if (!stat) continue;
    try {
      if (descendant.leads && stat.pgrp === descendant.pid && descendant.pid > 1) signalGroup(descendant.pid, signal, verbose);
      else {
        verbose?.(`kill -${signal.replace(/^SIG/, '')} ${descendant.pid}`);
        process.kill(descendant.pid, signal);
      }
      signalled.push(descendant);
    } catch {
      // Gone meanwhile, or not ours to signal (EPERM: it changed user): nothing more to do.
    }
  }
  return signalled;
}
