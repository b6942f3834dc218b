import type { ProviderName } from '../model/desired.js';
import type { Applied, Observed } from '../model/observed.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { monotonicMs } from '../os/monotonic.js';
import { cpuPercent, readGroupUsage } from '../os/proc-usage.js';
import type { ServiceUsage } from '../reconcile/status-rows.js';

/** One run's reading: which run (its group and start), its ticks and when they were read. */
interface Reading {
  run: string;
  cpuTicks: number;
  at: number;
}

/**
 * CPU % and memory of each running process service, from its process group (the record's pgid,
 * else its pid). Memory comes from one reading; CPU needs two of the same run, so the first
 * sample of a run has `cpu: null`. Compose, plugin and exec services have no group stack owns
 * (their processes belong to docker or to whatever the plugin started): both null.
 * Keep one sampler across readings (the controller's tick, a view that refreshes).
 */
export class UsageSampler {
  private readings = new Map<string, Reading>();

  /** `grouped`: whether a provider's runs are process groups this stack spawned (its capability; see groupedIn). */
  constructor(private readonly grouped: (provider: string) => boolean) {}

  sample(applied: Applied, observed: Observed): Map<string, ServiceUsage> {
    const runs = new Map<string, { pgid: number; run: string }>();
    for (const [name, record] of applied) {
      const phase = observed.get(name)?.phase;
      if (!this.grouped(record.provider) || record.pid === undefined || !(phase === 'running' || phase === 'starting' || phase === 'stopping')) continue;
      const pgid = record.pgid ?? record.pid;
      runs.set(name, { pgid, run: `${pgid}:${record.startTicks ?? ''}` });
    }
    const groups = readGroupUsage(new Set([...runs.values()].map((each) => each.pgid)));
    const at = monotonicMs();
    const usage = new Map<string, ServiceUsage>();
    const readings = new Map<string, Reading>();
    for (const [name, { pgid, run }] of runs) {
      const group = groups.get(pgid);
      if (!group) continue;
      const before = this.readings.get(name);
      readings.set(name, { run, cpuTicks: group.cpuTicks, at });
      usage.set(name, { cpu: before?.run === run ? cpuPercent(before.cpuTicks, group.cpuTicks, at - before.at) : null, memoryBytes: group.rssBytes });
    }
    this.readings = readings;
    return usage;
  }
}

/** Whether a provider's runs are groups stack spawned, as its capabilities say (providers not yet made have no running service to read). */
export function groupedIn(providers: ProviderRegistry): (provider: string) => boolean {
  return (provider) => providers.peek?.(provider as ProviderName)?.capabilities.grouped === true;
}
