import { join } from 'node:path';
import type { DesiredService } from '../model/desired.js';
import type { OperationContext } from '../model/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';

// Said once per state folder, not at every pass.
const warnedUnsupported = new Set<string>();

/**
 * Rotates the logs of running `services` that grew past their `logs.maxSize`, each by its
 * provider (those that keep a log file: process, plugin). Problems are reported, not thrown:
 * a log that cannot be rotated never stops a reconcile. Callers hold the stack lock.
 */
export async function rotateRunningLogs(providers: ProviderRegistry, ctx: Omit<OperationContext, 'signal'>, services: Iterable<DesiredService>, report: (line: string) => void): Promise<void> {
  // Side by side: each log has its own rotation lock, and most only need a look at their size.
  const rotations = [...services].map(async (service) => {
    try {
      const provider = await providers.get(service.provider);
      if (!provider.rotateLog) return;
      const result = await provider.rotateLog(service, ctx);
      if (result === 'unsupported' && !warnedUnsupported.has(ctx.stateDir)) {
        warnedUnsupported.add(ctx.stateDir);
        report(`note: the filesystem of ${join(ctx.stateDir, 'logs')} cannot cut a file's front (fallocate collapse-range: ext4 and xfs can); logs of running services rotate when they restart`);
      }
    } catch (error) {
      report(`warning: ${service.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  await Promise.all(rotations);
}
