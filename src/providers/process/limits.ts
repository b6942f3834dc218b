/**
 * A process service's `limits:` at its start, by this machine's mechanism (os/cgroups.ts): the
 * cgroup made and its limits written before the spawn, the run moved in right after it; or the
 * command wrapped in systemd-run --scope; or nothing here (the controller's watchdog keeps memory).
 */

import { existsSync } from 'node:fs';
import type { DesiredService } from '../../model/desired.js';
import { OperationError } from '../../model/provider.js';
import { formatSize } from '../../config/units.js';
import { limitMechanism, groupDirsOf, type GroupPlace, type LimitGroup, type LimitMechanism } from '../../os/cgroups.js';
import { hashString } from '../../reconcile/hash.js';
import { removeGroupDirsSoon } from '../../os/cgroup-files.js';
import { scopeArgv } from '../../os/systemd-scope.js';

/** What a start does about its service's limits. */
export interface StartLimits {
  /** The argv to spawn: the service's own, or it run through systemd-run. */
  argv: string[];
  /** Right after the spawn, before anything awaits: the run moved into its group. Throws when it cannot be. */
  joined(pid: number): void;
  /** Once the run ended: why, when it was the kernel's OOM killer in its group; the group removed when empty. */
  ended(): string | undefined;
}

const NONE = (argv: string[]): StartLimits => ({ argv, joined: () => undefined, ended: () => undefined });

export function startLimits(service: DesiredService, argv: string[], stateDir: string, mechanism: LimitMechanism = limitMechanism()): StartLimits {
  const limits = service.limits;
  if (limits === undefined || mechanism.name === 'watchdog') return NONE(argv);
  const place = groupPlaceOf(stateDir, service.name);
  if (mechanism.name === 'systemd-run') return NONE(scopeArgv(argv, place, limits, { user: mechanism.user, run: Date.now().toString(36) }));
  let group: LimitGroup;
  try {
    group = mechanism.prepare(place, limits);
  } catch (error) {
    throw new OperationError(service.name, `${service.name}: cannot make the cgroup of its limits (${mechanism.name}): ${(error as Error).message}`, { cause: error });
  }
  let killsBefore: number | undefined;
  return {
    argv,
    joined(pid) {
      try {
        group.join(pid);
      } catch (error) {
        throw new OperationError(service.name, `${service.name}: cannot put pid ${pid} into its cgroup (${mechanism.name}): ${(error as Error).message}`, { cause: error });
      }
      killsBefore = group.oomKills();
    },
    ended() {
      const kills = group.oomKills();
      group.remove();
      const killed = kills !== undefined && killsBefore !== undefined && kills > killsBefore;
      return killed && limits.memoryBytes !== undefined ? oomWords(limits.memoryBytes) : undefined;
    },
  };
}

/** Where a service's group lives: its stack named by 12 hex of a hash of its `.stack/` path (no node:crypto: commands load none up front). */
export function groupPlaceOf(stateDir: string, service: string): GroupPlace {
  return { project: hashString(stateDir).slice(0, 12), service };
}

/** `killed by the OOM killer (memory limit 512 MB)`: an exit's reason in status, events and the log. */
export function oomWords(memoryBytes: number): string {
  return `killed by the OOM killer (memory limit ${formatSize(memoryBytes)})`;
}

/**
 * The groups of a run to remove once it is stopped: those its leader is in now (read before the
 * stop, so any stack process's stop finds them), and those this stack process would make for
 * the service (the leader may be gone, its group's leftovers not).
 */
export function groupsToRemove(service: string, pid: number | undefined, stateDir: string, mechanism: LimitMechanism = limitMechanism()): () => Promise<void> {
  const place = groupPlaceOf(stateDir, service);
  const own = mechanism.name === 'cgroup-v1' || mechanism.name === 'cgroup-v2' ? mechanism.dirsOf(place).filter((dir) => existsSync(dir)) : [];
  const dirs = [...new Set([...(pid === undefined ? [] : groupDirsOf(pid, place)), ...own])];
  return async () => (dirs.length === 0 ? undefined : removeGroupDirsSoon(dirs));
}
