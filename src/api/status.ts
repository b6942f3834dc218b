import { basename } from 'node:path';
import { findServicePortOwners, type PortOwner } from '../engine/service-ports.js';
import { setTimeout as delay } from 'node:timers/promises';
import { groupedIn, readProviderUsage, UsageSampler } from '../engine/service-usage.js';
import type { ServiceUsage } from '../reconcile/status-rows.js';
import type { Workspace } from '../engine/workspace.js';
import { StackError } from '../model/errors.js';
import type { Applied, Observed } from '../model/observed.js';
import { acquireLock } from '../state/lock.js';
import { StateStore } from '../state/state-store.js';
import { limitMechanism } from '../os/cgroups.js';

export type { PortOwner } from '../engine/service-ports.js';
export { groupedIn, UsageSampler } from '../engine/service-usage.js';

/** How this machine keeps `limits:` (`cgroup-v1`, …, `watchdog`): the `mechanism` of status rows. */
export function limitMechanismName(): string {
  return limitMechanism().name;
}

/** A daemonless `status -o wide` reads CPU twice this far apart: 20 clock ticks, enough to tell 5 % from 10 %. */
const CPU_WINDOW_MS = 200;

/**
 * What each running service uses and runs, read now. One reading of /proc gives a process
 * service's memory and command line; `cpu` needs two. With `rate` (`status -o wide`) a second
 * comes CPU_WINDOW_MS after the first, and compose services' figures come from the engine
 * (`docker stats`, a second or so), both at once; without it `cpu` is null and compose services
 * are left out, so a plain `status` stays cheap. An average since the process started would cost
 * nothing, but it is another number under the same name: a service busy for its first minute and
 * idle since would show busy.
 */
export async function usageOf(workspace: Workspace, view: { applied: Applied; observed: Observed }, options: { rate?: boolean } = {}): Promise<Map<string, ServiceUsage>> {
  const sampler = usageSampler(workspace);
  const sample = () => sampler.sample(view.applied, view.observed, workspace.ctx.redact);
  const first = sample();
  if (!options.rate) return first;
  const [fromProviders, processes] = await Promise.all([
    readProviderUsage(workspace.desired, view, workspace.providers, { ...workspace.ctx, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) }),
    first.size === 0 ? first : delay(CPU_WINDOW_MS).then(sample),
  ]);
  return new Map([...fromProviders, ...processes]);
}

/** How long a daemonless `status -o wide` waits for the engine's figures. */
const PROVIDER_TIMEOUT_MS = 20_000;

/** A sampler that reads the services whose provider runs them as groups stack spawned. */
export function usageSampler(workspace: Workspace): UsageSampler {
  return new UsageSampler(groupedIn(workspace.providers));
}

/** Who listens on each declared port of the `names` services (all when empty), by service. */
export function portOwnersOf(workspace: Workspace, view: { applied: Applied; observed: Observed }, names: readonly string[] = []): Promise<Map<string, PortOwner[]>> {
  const shown = workspace.desired.services.filter((service) => names.length === 0 || names.includes(service.name));
  return findServicePortOwners(
    shown.map((service) => ({ service, record: view.applied.get(service.name), observed: view.observed.get(service.name) })),
    workspace.ctx.redact,
  );
}

/**
 * Records what `status --probe` found, so the next `status` shows it with its age. Only the lock
 * holder writes the state: while another stack process holds it (a controller), the results are
 * shown and not recorded, and the reason is returned.
 */
export async function recordProbeResults(workspace: Workspace, observed: Observed, applied: Applied): Promise<string | undefined> {
  // A result observe only read back (a `log` probe's) is recorded already.
  const probed = [...observed.values()].filter((each) => each.probe !== undefined && each.pid !== undefined && each.probe !== applied.get(each.name)?.probe);
  if (probed.length === 0) return undefined;
  let lock;
  try {
    lock = await acquireLock(workspace.paths.lockFile, { command: 'stack status --probe' });
  } catch (error) {
    if (error instanceof StackError) return error.message;
    throw error;
  }
  try {
    const state = await StateStore.open(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file));
    for (const { name, pid, probe } of probed) {
      // Only for the run that was probed, and only a result newer than the one recorded.
      state.record(name, (current) => (current && current.pid === pid && probe && (!current.probe || current.probe.at < probe.at) ? { ...current, probe } : current));
    }
    await state.flush();
  } finally {
    await lock.release();
  }
  return undefined;
}
