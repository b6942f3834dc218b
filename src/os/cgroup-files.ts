/** What every cgroup mechanism shares: the group's place and handle, putting a run in, reading a counter, removing the folders. */

import { readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { listPids } from './group-members.js';
import { parseProcUsage } from './proc-usage.js';
import { readStatText } from './proc-stat.js';

/** A service's own cgroup(s), made before its start: its limits written, its run put in. */
export interface LimitGroup {
  /** One folder per v1 hierarchy (memory, cpu, pids), or the one v2 folder. */
  readonly dirs: readonly string[];
  /** Moves `pid` in, and every member of its process group (anything it forked meanwhile). */
  join(pid: number): void;
  /** How many times the kernel's OOM killer killed in the group so far; undefined without a memory limit. */
  oomKills(): number | undefined;
  /** Removes the folders once empty; one still in use stays (EBUSY), as the kernel wants. */
  remove(): void;
}

/** Where a group lives: `stack/<project>/<service>` under stack's own cgroup. */
export interface GroupPlace {
  /** The stack's own name among stacks: a digest of its `.stack/` path (12 hex), so two stacks never share a group. */
  project: string;
  service: string;
}

/** `stack/<project>/<service>`: the group's path under a base. */
export function groupPath(place: GroupPlace): string {
  return join('stack', place.project, place.service);
}

/**
 * Puts `pid` into each folder, then every member of its process group: stack moves the run in
 * right after the spawn (the same way for posix_spawn, the fork of `user:` and child_process),
 * and whatever it forked before that follows it here, so nothing of the run stays outside.
 */
export function joinGroup(dirs: readonly string[], pid: number): void {
  for (const dir of dirs) writeFileSync(`${dir}/cgroup.procs`, String(pid));
  for (const member of groupMembersOf(pid)) {
    for (const dir of dirs) {
      try {
        writeFileSync(`${dir}/cgroup.procs`, String(member));
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

function groupMembersOf(pgid: number): number[] {
  return listPids().filter((pid) => {
    if (pid === pgid) return false;
    try {
      return parseProcUsage(readStatText(pid))?.pgrp === pgid;
    } catch {
      return false;
    }
  });
}

/** `key N` from a flat-keyed cgroup file (memory.oom_control, memory.events), or undefined. */
export function readCounter(file: string, key: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Removes a service's folders, then its project's and `stack/` when nothing else is left in
 * them. A folder with a process in it stays (EBUSY): the kernel removes nothing in use.
 */
export function removeGroupDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    for (const folder of [dir, dirname(dir), dirname(dirname(dir))]) {
      if (!removeIfEmpty(folder)) break;
    }
  }
}

/**
 * removeGroupDirs, again every 50 ms for up to `withinMs` while a folder is busy: a stopped
 * group's last processes may be zombies a while yet (PID 1 reaps late in containers), and the
 * kernel counts them until they are reaped.
 */
export async function removeGroupDirsSoon(dirs: readonly string[], withinMs = 2000): Promise<void> {
  for (let waited = 0; ; waited += 50) {
    removeGroupDirs(dirs);
    if (dirs.every((dir) => !exists(dir)) || waited >= withinMs) return;
    await delay(50);
  }
}

function exists(dir: string): boolean {
  try {
    readdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

// A cgroup folder always lists its control files; rmdir removes it with them once it holds no
// process and no child group.
function removeIfEmpty(folder: string): boolean {
  try {
    if (readdirSync(folder, { withFileTypes: true }).some((entry) => entry.isDirectory())) return false;
    rmdirSync(folder);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
