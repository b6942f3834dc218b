/**
 * systemd-run --scope: where systemd is PID 1, a service's command is started through it, so
 * systemd makes the cgroup and keeps the limits. systemd-run registers the scope with its own
 * pid and then execs the command: the run keeps that pid, its process group and its marker.
 */

import type { ResourceLimits } from '../model/desired.js';
import { groupPath, type GroupPlace } from './cgroup-files.js';

/** The argv that runs `argv` in a scope with `limits` (`--user` for a stack that is not root). */
export function scopeArgv(argv: readonly string[], place: GroupPlace, limits: ResourceLimits, options: { user: boolean; run: string }): string[] {
  const [, project = '', service = ''] = groupPath(place).split('/');
  const properties = [
    ...(limits.memoryBytes === undefined ? [] : [`MemoryMax=${limits.memoryBytes}`, 'MemorySwapMax=0']),
    ...(limits.cpu === undefined ? [] : [`CPUQuota=${Math.round(limits.cpu * 100)}%`]),
    ...(limits.pids === undefined ? [] : [`TasksMax=${limits.pids}`]),
  ];
  return [
    'systemd-run',
    ...(options.user ? ['--user'] : []),
    '--scope',
    '--quiet',
    '--collect',
    // A unit name may hold no `/`. `run` (unique per start) keeps two runs of one service apart
    // while the last one's scope is still being collected.
    `--unit=stack-${project}-${scopeName(service)}-${options.run}`,
    ...properties.flatMap((property) => ['-p', property]),
    '--',
    ...argv,
  ];
}

function scopeName(service: string): string {
  return service.replace(/[^A-Za-z0-9:_.-]/g, '_');
}
