/** What every cgroup mechanism shares: the group's place and handle, putting a run in, reading a counter, removing the folders. */

import { readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { dirname, join } from 'node:path';

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
 * Puts `pid` into each folder, then whatever it forked before that (its descendants, read
 * through /proc/<pid>/task/<tid>/children: a few reads, not a scan of /proc). stack moves the run in
 * right after the spawn, the same way for posix_spawn, the fork of `user:` and child_process,
 * so nothing of the run stays outside; what it forks later is born inside.
 */
export function joinGroup(dirs: readonly string[], pid: number): void {
  for (const dir of dirs) writeFileSync(`${dir}/cgroup.procs`, String(pid));
  for (const child of descendantsOf(pid)) {
    for (const dir of dirs) {
      try {
        writeFileSync(`${dir}/cgroup.procs`, String(child));
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

/** A process's descendants, breadth first, as its threads' children lists name them now. */
function descendantsOf(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  // Bounded: a run that forked this much before its first microsecond is no ordinary start.
  while (queue.length > 0 && found.length < 10_000) {
    const parent = queue.shift() as number;
    for (const child of childrenOf(parent)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
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
export async function removeGroupDirsSoon(dirs: readonly string[], withinMs = 5000): Promise<void> {
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
