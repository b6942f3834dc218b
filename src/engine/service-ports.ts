import type { DesiredService } from '../model/desired.js';
import type { AppliedService, ObservedService } from '../model/observed.js';
import type { Redact } from '../model/redact.js';
import { findPortOwners, type PortOwner } from '../os/port-owners.js';
import { readListeners } from '../os/ports.js';

export type { PortOwner } from '../os/port-owners.js';

/** One service as `status` shows it: its declaration, its record and what it is now. */
export interface ServiceView {
  service: Pick<DesiredService, 'name' | 'ports'>;
  record: AppliedService | undefined;
  observed: ObservedService | undefined;
}

/**
 * Who listens on each declared port of each service, by name, read from /proc (never a
 * connection to them). A record with a pid is a process group (`pgid`, or the pid itself in a
 * record older than pgids): what that group holds is the service's own. A service that runs
 * without one (compose containers, a plugin's) cannot be told from another listener; one that
 * does not run owns nothing, so whoever listens is named. `redact`: a foreign command line may
 * hold one of the stack's secrets (an old copy started by hand, say).
 */
export async function findServicePortOwners(views: readonly ServiceView[], redact: Redact): Promise<Map<string, PortOwner[]>> {
  const shown = views.filter((view) => view.service.ports.length > 0);
  if (shown.length === 0) return new Map();
  const listeners = await readListeners();
  return new Map(
    await Promise.all(
      shown.map(async ({ service, record, observed }) => {
        const pgid = record?.pid === undefined ? undefined : (record.pgid ?? record.pid);
        const grouped = pgid !== undefined || !mayRun(observed);
        const owners = await findPortOwners(service.ports, { pgid, grouped }, listeners);
        return [service.name, owners.map((owner) => (owner.kind === 'foreign' && owner.command !== undefined ? { ...owner, command: redact(owner.command) } : owner))] as const;
      }),
    ),
  );
}

/** Whether the service may hold its ports: it runs, starts or stops, or its provider cannot tell. */
function mayRun(observed: ObservedService | undefined): boolean {
  return observed === undefined || observed.phase === 'running' || observed.phase === 'starting' || observed.phase === 'stopping' || observed.phase === 'unknown';
}
