/**
 * The memory limits the controller keeps itself, where this machine offers no cgroup stack can
 * make (os/cgroups.ts, `watchdog`): each usage tick (every second while there is one to keep),
 * a service whose process group's RSS sum is over its `limits.memory` is killed, group and all,
 * and restarted by its policy with the reason `memory limit 512 MB exceeded (530 MB)`. It
 * reads nothing itself: the usage watch's sample is its reading. cpu and pids it cannot keep.
 */

import type { Desired } from '../../model/desired.js';
import type { ServiceUsage } from '../../reconcile/status-rows.js';
import { formatSize, formatSizeLike } from '../../config/units.js';

export class MemoryWatchdog {
  constructor(
    private readonly desired: () => Desired,
    /** Whether this machine keeps limits by the watchdog (no cgroups). */
    private readonly watching: boolean,
    /** Kills a run over its limit; false when it was not the controller's to kill. */
    private readonly kill: (service: string, reason: string) => boolean,
  ) {}

  /** Whether any service has a limit for it to keep: the usage watch reads every second then. */
  get active(): boolean {
    return this.watching && this.desired().services.some((service) => service.limits?.memoryBytes !== undefined);
  }

  /** Kills each service over its limit in `usage`; the names killed. */
  check(usage: ReadonlyMap<string, ServiceUsage>): string[] {
    if (!this.watching) return [];
    const killed: string[] = [];
    for (const service of this.desired().services) {
      const limit = service.limits?.memoryBytes;
      const memory = usage.get(service.name)?.memory;
      if (limit === undefined || memory === null || memory === undefined || memory <= limit) continue;
      if (this.kill(service.name, overLimitWords(limit, memory))) killed.push(service.name);
    }
    return killed;
  }
}

/** `memory limit 512 MB exceeded (530 MB)`. */
export function overLimitWords(limit: number, memory: number): string {
  return `memory limit ${formatSize(limit)} exceeded (${formatSizeLike(memory, limit)})`;
}
