import type { Desired, DesiredService } from '../model/desired.js';
import { ExitCode, StackError } from '../model/errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { OperationContext } from '../model/provider.js';
import { findPortConflicts } from './port-conflicts.js';
import type { Applied, AppliedService, ObservedService, Observed, PortConflict } from '../model/observed.js';

/**
 * Asks every provider what each service is now: the services in stack.yaml and the ones that
 * left it but are still recorded. Level-based: nothing is remembered between calls.
 */
export async function observeServices(
  desired: Desired,
  applied: Applied,
  providers: ProviderRegistry,
  ctx: OperationContext,
  concurrency = 16,
): Promise<Observed> {
  const byName = new Map(desired.services.map((service) => [service.name, service]));
  const names = [...byName.keys(), ...[...applied.keys()].filter((name) => !byName.has(name))];
  const results = await mapBounded(names, concurrency, (name) => observeOne(name, byName.get(name), applied.get(name), providers, ctx));
  // A detail may quote what a plugin or probe printed, or a reason recorded by an older stack.
  const observed = new Map(results.map((entry) => [entry.name, entry.detail === undefined ? entry : { ...entry, detail: ctx.redact(entry.detail) }]));
  // Only now is it known which services are not running, so which would be started.
  const conflicts = await findPortConflicts(desired, observed, applied).catch(() => new Map<string, PortConflict[]>());
  for (const [name, portConflicts] of conflicts) {
    const entry = observed.get(name);
    if (entry) observed.set(name, { ...entry, portConflicts });
  }
  return observed;
}

async function observeOne(
  name: string,
  desired: DesiredService | undefined,
  applied: AppliedService | undefined,
  providers: ProviderRegistry,
  ctx: OperationContext,
): Promise<ObservedService> {
  // A service stack never applied and that is disabled needs no probe: it is absent.
  if (!applied && desired && !desired.enabled) return { name, phase: 'absent' };
  const providerName = applied?.provider ?? desired?.provider;
  // Neither declared nor recorded: nothing of it exists for any provider to look at.
  if (providerName === undefined) return { name, phase: 'absent' };
  try {
    const provider = await providers.get(providerName);
    return await provider.observe(name, desired, applied, ctx);
  } catch (error) {
    if (error instanceof StackError && error.code === ExitCode.providerUnavailable) {
      return { name, phase: 'unknown', detail: error.hint ? `${error.message}; ${error.hint}` : error.message, unavailable: true };
    }
    return { name, phase: 'unknown', detail: error instanceof Error ? error.message : String(error) };
  }
}

/** Maps with at most `limit` calls in flight, keeping the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
