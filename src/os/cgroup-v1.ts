/**
 * cgroup v1: one folder per controller hierarchy (memory, cpu, pids), each made under stack's
 * own cgroup of that hierarchy, so a limit the machine already sets on stack still holds above.
 */

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from '../model/desired.js';
import { groupPath, joinGroup, readCounter, removeGroupDirs, type GroupPlace, type LimitGroup } from './cgroup-files.js';

export type V1Controller = 'memory' | 'cpu' | 'pids';
const CONTROLLERS: readonly V1Controller[] = ['memory', 'cpu', 'pids'];
/** The CFS period: quotas are in µs per 100 ms. */
export const CFS_PERIOD_US = 100_000;

/** Each controller's folder of stack's own cgroup (`/sys/fs/cgroup/memory/<own path>`), or undefined when one is not mounted. */
export function ownV1Paths(root: string, selfCgroup: string): Record<V1Controller, string> | undefined {
  const paths: Partial<Record<V1Controller, string>> = {};
  for (const line of selfCgroup.split('\n')) {
    const [, controllers = '', path = ''] = line.split(':');
    // Mounted under its own name, or with its companions (`cpu,cpuacct`) where no link names it alone.
    for (const controller of controllers.split(',')) {
      if (!(CONTROLLERS as readonly string[]).includes(controller)) continue;
      const mount = [controller, controllers].find((name) => existsSync(join(root, name))) ?? controller;
      paths[controller as V1Controller] = join(root, mount, ...path.split('/').filter(Boolean));
    }
  }
  const found = CONTROLLERS.every((controller) => paths[controller] !== undefined && existsSync(join(paths[controller], 'cgroup.procs')));
  return found ? (paths as Record<V1Controller, string>) : undefined;
}

/** The files and values a service's limits become, folder by folder, in the order they are written. */
export function v1Writes(base: Record<V1Controller, string>, place: GroupPlace, limits: ResourceLimits, has: (file: string) => boolean): { dir: string; file: string; value: string }[] {
  const writes: { dir: string; file: string; value: string }[] = [];
  const dir = (controller: V1Controller) => join(base[controller], groupPath(place));
  if (limits.memoryBytes !== undefined) {
    const memory = dir('memory');
    const memsw = has(join(memory, 'memory.memsw.limit_in_bytes'));
    // memsw (memory + swap) must stay at least the memory limit: lifted first, lowered last, so
    // swap cannot take what memory may not.
    if (memsw) writes.push({ dir: memory, file: 'memory.memsw.limit_in_bytes', value: '-1' });
    writes.push({ dir: memory, file: 'memory.limit_in_bytes', value: String(limits.memoryBytes) });
    if (memsw) writes.push({ dir: memory, file: 'memory.memsw.limit_in_bytes', value: String(limits.memoryBytes) });
  }
  if (limits.cpu !== undefined) {
    const cpu = dir('cpu');
    writes.push({ dir: cpu, file: 'cpu.cfs_period_us', value: String(CFS_PERIOD_US) });
    writes.push({ dir: cpu, file: 'cpu.cfs_quota_us', value: String(Math.round(limits.cpu * CFS_PERIOD_US)) });
  }
  if (limits.pids !== undefined) writes.push({ dir: dir('pids'), file: 'pids.max', value: String(limits.pids) });
  return writes;
}

export function cgroupV1(base: Record<V1Controller, string>): { prepare(place: GroupPlace, limits: ResourceLimits): LimitGroup } {
  return {
    prepare(place, limits) {
      const dirs = controllersOf(limits).map((controller) => join(base[controller], groupPath(place)));
      for (const dir of dirs) mkdirSync(dir, { recursive: true });
      for (const write of v1Writes(base, place, limits, existsSync)) writeFileSync(join(write.dir, write.file), write.value);
      const memory = limits.memoryBytes === undefined ? undefined : join(base.memory, groupPath(place));
      return {
        dirs,
        join: (pid) => joinGroup(dirs, pid),
        oomKills: () => (memory === undefined ? undefined : readOomKills(memory)),
        remove: () => removeGroupDirs(dirs),
      };
    },
  };
}

function controllersOf(limits: ResourceLimits): V1Controller[] {
  return CONTROLLERS.filter((controller) => (controller === 'memory' ? limits.memoryBytes : limits[controller]) !== undefined);
}

// `oom_kill N` in memory.oom_control (Linux 4.13+; memory.failcnt counts hits of the limit, not kills).
function readOomKills(dir: string): number | undefined {
  return readCounter(join(dir, 'memory.oom_control'), 'oom_kill');
}

