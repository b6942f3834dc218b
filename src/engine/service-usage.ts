import type { Desired, ProviderName } from '../model/desired.js';
import type { Applied, Observed } from '../model/observed.js';
import type { OperationContext } from '../model/provider.js';
import type { Redact } from '../model/redact.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { monotonicMs } from '../os/monotonic.js';
import { cpuPercent, readArgv, readGroupUsage } from '../os/proc-usage.js';
import { formatCommandLine } from '../reconcile/status-format.js';
import type { ServiceUsage } from '../reconcile/status-rows.js';

/** One run's reading: which run (its group and start), its ticks, when they were read, and its leader's argv (read once a run). */
interface Reading {
  run: string;
  cpuTicks: number;
  at: number;
  argv?: string[];
}

/**
 * CPU %, memory and command line of each running process service, from its process group (the
 * record's pgid, else its pid). Memory comes from one reading; CPU needs two of the same run, so
 * the first sample of a run has `cpu: null`. The command is the leader's argv as /proc shows it,
 * read once a run and passed through `redact` at each sample (the redactor follows stack.yaml).
 * Compose, plugin and exec services have no group stack owns (their processes belong to docker or
 * to whatever the plugin started): they are left out. Keep one sampler across readings (the
 * controller's tick, a view that refreshes).
 */
export class UsageSampler {
  private readings = new Map<string, Reading>();

  /** `grouped`: whether a provider's runs are process groups this stack spawned (its capability; see groupedIn). */
  constructor(private readonly grouped: (provider: string) => boolean) {}

  sample(applied: Applied, observed: Observed, redact: Redact = (text) => text): Map<string, ServiceUsage> {
    const runs = new Map<string, { pid: number; pgid: number; run: string }>();
    for (const [name, record] of applied) {
      const phase = observed.get(name)?.phase;
      if (!this.grouped(record.provider) || record.pid === undefined || !(phase === 'running' || phase === 'starting' || phase === 'stopping')) continue;
      const pgid = record.pgid ?? record.pid;
      runs.set(name, { pid: record.pid, pgid, run: `${pgid}:${record.startTicks ?? ''}` });
    }
    const groups = readGroupUsage(new Set([...runs.values()].map((each) => each.pgid)));
    const at = monotonicMs();
    const usage = new Map<string, ServiceUsage>();
    const readings = new Map<string, Reading>();
    for (const [name, { pid, pgid, run }] of runs) {
      const group = groups.get(pgid);
      if (!group) continue;
      const before = this.readings.get(name);
      const same = before?.run === run;
      const argv = (same ? before?.argv : undefined) ?? readArgv(pid);
      readings.set(name, { run, cpuTicks: group.cpuTicks, at, ...(argv ? { argv } : {}) });
      usage.set(name, {
        cpu: same && before ? cpuPercent(before.cpuTicks, group.cpuTicks, at - before.at) : null,
        memory: group.rssBytes,
        command: argv ? redact(formatCommandLine(argv)) : null,
      });
    }
    this.readings = readings;
    return usage;
  }
}

/** Whether a provider's runs are groups stack spawned, as its capabilities say (providers not yet made have no running service to read). */
export function groupedIn(providers: ProviderRegistry): (provider: string) => boolean {
  return (provider) => providers.peek?.(provider as ProviderName)?.capabilities.grouped === true;
}

const isUp = (phase: string | undefined) => phase === 'running' || phase === 'starting';

/**
 * The figures of each running service whose provider reads them itself (`Provider.usage`: a
 * compose service's containers, from the engine), all asked at once; a service whose provider
 * could not say is left out.
 */
export async function readProviderUsage(desired: Desired, view: { applied: Applied; observed: Observed }, providers: ProviderRegistry, ctx: OperationContext): Promise<Map<string, ServiceUsage>> {
  const usage = new Map<string, ServiceUsage>();
  const asked = [...view.observed.values()].filter((each) => isUp(each.phase));
  await Promise.all(
    asked.map(async ({ name }) => {
      const service = desired.services.find((each) => each.name === name);
      const record = view.applied.get(name);
      const provider = providers.peek?.((service?.provider ?? record?.provider) as ProviderName);
      if (!provider?.usage || provider.capabilities.grouped) return;
      const read = await provider.usage(name, service, record, ctx).catch(() => undefined);
      if (read) usage.set(name, read);
    }),
  );
  return usage;
}
