/**
 * What a run started outside its process group: `setsid daemon &`, `env -i setsid daemon &`.
 * Such a process leaves the group (so a signal to the group misses it) and may clear the marker
 * variables (so a scan of environments misses it), but while its parent lives its PPid still
 * links it to the run. The tree is read before the group is signalled: once the parent dies the
 * link is gone (the kernel hands the orphan to init or the nearest subreaper).
 */

import { signalGroup } from '../runner.js';
import { sharedProcessScan } from './group-members.js';
import { readProcStatSync, type ProcStat } from './proc-stat.js';

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
export async function descendantsOutside(pgid: number): Promise<Descendant[]> {
  const stats = await sharedProcessScan();
  return treeOutside(stats, pgid);
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
