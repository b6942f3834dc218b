/**
 * cgroup v2: a subtree delegated to stack's user (systemd's Delegate=yes, a container's own
 * namespace), split below stack's own cgroup as `stack/<project>/<service>`, each level handing
 * the controllers down.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from '../model/desired.js';
import { groupPath, joinGroup, readCounter, removeGroupDirs, type GroupPlace, type LimitGroup } from './cgroup-files.js';
import { CFS_PERIOD_US } from './cgroup-v1.js';

export const V2_CONTROLLERS = ['memory', 'cpu', 'pids'] as const;

/** Stack's own v2 cgroup folder (`0::/path`; under `unified/` on a hybrid machine), or undefined. */
export function ownV2Path(root: string, selfCgroup: string): string | undefined {
  const line = selfCgroup.split('\n').find((each) => each.startsWith('0::'));
  if (line === undefined) return undefined;
  const path = line.slice(3);
  const mount = existsSync(join(root, 'cgroup.controllers')) ? root : join(root, 'unified');
  const dir = join(mount, ...path.split('/').filter(Boolean));
  return existsSync(join(dir, 'cgroup.subtree_control')) ? dir : undefined;
}

// Once per stack process: stack (its pid) moved from the delegated folder into its leaf.
function leaveBase(base: string, self: number): void {
  const procs = readFileSync(join(base, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
  if (!procs.includes(String(self))) return;
  mkdirSync(join(base, SELF_LEAF), { recursive: true });
  writeFileSync(join(base, SELF_LEAF, 'cgroup.procs'), String(self));
}

/** The files and values a service's limits become, in order: controllers handed down each level, then the limits. */
export function v2Writes(base: string, place: GroupPlace, limits: ResourceLimits, has: (file: string) => boolean): { dir: string; file: string; value: string }[] {
  const enable = V2_CONTROLLERS.map((controller) => `+${controller}`).join(' ');
  const [stack = '', project = '', service = ''] = groupPath(place).split('/');
  const levels = [base, join(base, stack), join(base, stack, project)];
  const dir = join(base, stack, project, service);
  const writes = levels.map((level) => ({ dir: level, file: 'cgroup.subtree_control', value: enable }));
  if (limits.memoryBytes !== undefined) {
    writes.push({ dir, file: 'memory.max', value: String(limits.memoryBytes) });
    // As cgroup v1's memsw: swap may not stretch the limit.
    if (has(join(dir, 'memory.swap.max'))) writes.push({ dir, file: 'memory.swap.max', value: '0' });
  }
  if (limits.cpu !== undefined) writes.push({ dir, file: 'cpu.max', value: `${Math.round(limits.cpu * CFS_PERIOD_US)} ${CFS_PERIOD_US}` });
  if (limits.pids !== undefined) writes.push({ dir, file: 'pids.max', value: String(limits.pids) });
  return writes;
}

/** Where stack moves itself in a delegated folder, so that the folder holds no process and may hand controllers down. */
export const SELF_LEAF = 'stack-self';

export function cgroupV2(base: string, self: number): { prepare(place: GroupPlace, limits: ResourceLimits): LimitGroup } {
  return {
    prepare(place, limits) {
      const dir = join(base, groupPath(place));
      leaveBase(base, self);
      // Each level hands the controllers down before the level below is made: the service's
      // folder then has their files (memory.swap.max only where swap is accounted).
      const handDown = v2Writes(base, place, {}, () => false);
      for (const write of handDown) {
        mkdirSync(write.dir, { recursive: true });
        writeFileSync(join(write.dir, write.file), write.value);
      }
      mkdirSync(dir, { recursive: true });
      for (const write of v2Writes(base, place, limits, existsSync).slice(handDown.length)) writeFileSync(join(write.dir, write.file), write.value);
      return {
        dirs: [dir],
        join: (pid) => joinGroup([dir], pid),
        // `oom_kill N` in memory.events: kills in this group and below.
        oomKills: () => (limits.memoryBytes === undefined ? undefined : readCounter(join(dir, 'memory.events'), 'oom_kill')),
        remove: () => removeGroupDirs([dir]),
      };
    },
  };
}
