/** Plan-time port check: declared ports of services about to start that another process holds. */

import { redactorOf } from '../config/secrets.js';
import type { Desired, DesiredService } from '../model/desired.js';
import type { Applied, Observed, PortConflict } from '../model/observed.js';
import { findPortHolders, type PortHolder } from '../os/ports.js';

const NOT_RUNNING = new Set(['absent', 'stopped', 'crashed']);

/** Services that would be started: enabled, wanted running, not running now, with ports. */
function aboutToStart(service: DesiredService, observed: Observed): boolean {
  const phase = observed.get(service.name)?.phase;
  return service.enabled && service.state === 'running' && service.ports.length > 0 && phase !== undefined && NOT_RUNNING.has(phase);
}

/**
 * "Ours" means held by a process in a process group (or with a pid) that the state file records
 * for any service of this stack: a leftover of our own is not a conflict.
 */
function isOurs(holder: PortHolder, applied: Applied): boolean {
  if (holder.pid === undefined) return false;
  for (const record of applied.values()) {
    if (record.pid === holder.pid || (record.pgid !== undefined && record.pgid === holder.pgid)) return true;
  }
  return false;
}

/** Port conflicts by service name; services without any are left out. */
export async function findPortConflicts(desired: Desired, observed: Observed, applied: Applied): Promise<Map<string, PortConflict[]>> {
  const candidates = desired.services.filter((service) => aboutToStart(service, observed));
  const conflicts = new Map<string, PortConflict[]>();
  if (candidates.length === 0) return conflicts;
  // A foreign command line may hold one of our secrets (an old copy started by hand, say).
  const redact = redactorOf(desired);
  await Promise.all(
    candidates.map(async (service) => {
      const holders = (await findPortHolders(service.ports)).filter((holder) => !isOurs(holder, applied));
      if (holders.length === 0) return;
      conflicts.set(
        service.name,
        holders.map((holder) => ({
          port: holder.port,
          ...(holder.host === undefined ? {} : { host: holder.host }),
          ...(holder.pid === undefined ? {} : { pid: holder.pid }),
          ...(holder.command === undefined ? {} : { command: redact(holder.command) }),
        })),
      );
    }),
  );
  return conflicts;
}
