/**
 * `stack check` of `limits:`: per service with limits, the mechanism that keeps them on this
 * machine (os/cgroups.ts), and what the watchdog cannot keep (cpu, pids) or needs (a controller).
 */

import type { DesiredService } from '../model/desired.js';
import type { LimitMechanism } from '../os/cgroups.js';
import { formatLimits } from '../reconcile/status-format.js';
import { pass, warn, type CheckResult } from './types.js';

export function checkLimits(services: readonly DesiredService[], mechanism: Pick<LimitMechanism, 'name' | 'why'>): CheckResult[] {
  return services.flatMap((service) => {
    const limits = service.limits;
    if (limits === undefined) return [];
    const row = {
      limits: { ...(limits.memoryBytes === undefined ? {} : { memory: limits.memoryBytes }), ...(limits.cpu === undefined ? {} : { cpu: limits.cpu }), ...(limits.pids === undefined ? {} : { pids: limits.pids }) },
      mechanism: mechanism.name,
    };
    const detail = `${service.name}: ${formatLimits(row)}, by ${mechanism.why}`;
    if (mechanism.name !== 'watchdog') return [pass('limits', detail)];
    const unkept = [...(limits.cpu === undefined ? [] : ['cpu']), ...(limits.pids === undefined ? [] : ['pids'])];
    const hint = [
      ...(limits.memoryBytes === undefined ? [] : ['the watchdog keeps memory only while a controller runs (stack watch, stack up)']),
      ...(unkept.length === 0 ? [] : [`${unkept.join(' and ')} need a cgroup: run stack as root with writable cgroup v1 controllers, under systemd, or in a delegated cgroup v2 subtree`]),
    ].join('; ');
    return [warn('limits', detail, hint)];
  });
}
