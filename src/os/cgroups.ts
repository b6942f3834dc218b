/**
 * How `limits:` are kept on this machine, chosen once per stack process in this order: a
 * delegated cgroup v2 subtree, systemd-run --scope where systemd is PID 1, writable cgroup v1
 * controllers, else a watchdog in the controller that can keep only memory (README, "Resource limits").
 * STACK_LIMITS=watchdog forces the last (tests, and machines whose cgroups misbehave).
 */

import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from '../model/desired.js';
import { cgroupV1, ownV1Paths } from './cgroup-v1.js';
import { cgroupV2, ownV2Path, V2_CONTROLLERS } from './cgroup-v2.js';
import { groupPath, type GroupPlace, type LimitGroup } from './cgroup-files.js';

export type { GroupPlace, LimitGroup } from './cgroup-files.js';

export type LimitMechanism =
  | { name: 'cgroup-v1' | 'cgroup-v2'; why: string; prepare(place: GroupPlace, limits: ResourceLimits): LimitGroup; dirsOf(place: GroupPlace): string[] }
  | { name: 'systemd-run'; why: string; user: boolean }
  | { name: 'watchdog'; why: string };

/** What detection reads, injectable so tests can point it at a fake cgroup root. */
export interface MachineView {
  /** Where cgroups are mounted: /sys/fs/cgroup. */
  root: string;
  /** The text of /proc/self/cgroup. */
  selfCgroup: string;
  /** The command name of PID 1 (`systemd`, `init`, …). */
  pid1: string;
  /** STACK_LIMITS. */
  forced?: string | undefined;
  /** Whether systemd-run is on PATH. */
  systemdRun: boolean;
  uid: number;
  /** Stack's own pid. */
  self: number;
}

/** The mechanism this machine offers, and in words why (for `stack check`). */
export function chooseMechanism(view: MachineView): LimitMechanism {
  if (view.forced === 'watchdog') return { name: 'watchdog', why: 'STACK_LIMITS=watchdog' };
  const v2 = ownV2Path(view.root, view.selfCgroup);
  if (v2 && delegated(v2, view.self)) return { name: 'cgroup-v2', why: `a delegated cgroup v2 subtree under ${v2}`, prepare: (place, limits) => cgroupV2(v2, view.self).prepare(place, limits), dirsOf: (place) => [join(v2, groupPath(place))] };
  if (view.pid1 === 'systemd' && view.systemdRun) {
    return { name: 'systemd-run', why: `systemd-run --scope${view.uid === 0 ? '' : ' --user'} (systemd is PID 1)`, user: view.uid !== 0 };
  }
  const v1 = ownV1Paths(view.root, view.selfCgroup);
  if (v1 && Object.values(v1).every(writable)) {
    return {
      name: 'cgroup-v1',
      why: `writable cgroup v1 controllers (${Object.values(v1).join(', ')})`,
      prepare: (place, limits) => cgroupV1(v1).prepare(place, limits),
      dirsOf: (place) => Object.values(v1).map((base) => join(base, groupPath(place))),
    };
  }
  return { name: 'watchdog', why: 'no cgroup stack can create here (no delegated v2 subtree, no systemd, no writable v1 controllers)' };
}

/**
 * A v2 folder is ours to split when it offers the controllers, lets us write its
 * subtree_control, and holds no process but stack itself: the kernel hands controllers down only
 * from a folder without processes, so stack first moves itself into a leaf of its own (as
 * systemd asks of a delegated subtree: a unit with Delegate=yes running `stack watch`). Read
 * only: a `status` decides the same without writing.
 */
function delegated(dir: string, self: number): boolean {
  try {
    const offered = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
    if (!V2_CONTROLLERS.every((controller) => offered.includes(controller))) return false;
    accessSync(join(dir, 'cgroup.subtree_control'), constants.W_OK);
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).every((pid) => Number(pid) === self);
  } catch {
    return false;
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

let chosen: LimitMechanism | undefined;

/** This machine's mechanism, read once per stack process. */
export function limitMechanism(): LimitMechanism {
  chosen ??= chooseMechanism(machineView());
  return chosen;
}

function machineView(): MachineView {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '';
    }
  };
  return {
    root: '/sys/fs/cgroup',
    selfCgroup: process.platform === 'linux' ? read('/proc/self/cgroup') : '',
    pid1: read('/proc/1/comm'),
    forced: process.env.STACK_LIMITS,
    systemdRun: process.platform === 'linux' && onPath('systemd-run'),
    uid: process.getuid?.() ?? -1,
    self: process.pid,
  };
}

/** The folders of a group the service's leader is in now, from /proc/<pid>/cgroup (for a stop by another stack process). */
export function groupDirsOf(pid: number, place: GroupPlace, root = '/sys/fs/cgroup'): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return [];
  }
  const suffix = `/${groupPath(place)}`;
  return text.split('\n').flatMap((line) => {
    const [, controllers = '', path = ''] = line.split(':');
    if (!path.endsWith(suffix)) return [];
    // v2 (`0::`) at the root or, on a hybrid machine, under unified/; v1 under its controller's
    // own name or its companions' (`cpu,cpuacct`).
    const v1 = [controllers.split(',')[0] ?? '', controllers].find((name) => existsSync(join(root, name))) ?? controllers;
    const hierarchy = controllers === '' ? (existsSync(join(root, 'cgroup.controllers')) ? '' : 'unified') : v1;
    return [join(root, hierarchy, path)];
  });
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, program)));
}
