/** Declared ports are free, or held by one of this stack's own services. */

import type { DesiredService } from '../model/desired.js';
import { findPortHolders } from '../os/ports.js';
import { describePortConflict } from '../reconcile/plan-blocks.js';
import type { Applied } from '../model/observed.js';
import { fail, pass, type CheckResult } from './types.js';

/** The service whose recorded pid or process group holds the port. */
function ownerOf(holder: { pid?: number; pgid?: number }, applied: Applied): string | undefined {
  if (holder.pid === undefined) return undefined;
  for (const [name, record] of applied) {
    if (record.pid === holder.pid || (record.pgid !== undefined && record.pgid === holder.pgid)) return name;
  }
  return undefined;
}

export async function checkPorts(services: readonly DesiredService[], applied: Applied, redact: (text: string) => string): Promise<CheckResult[]> {
  const withPorts = services.filter((service) => service.enabled && service.ports.length > 0);
  const perService = await Promise.all(
    withPorts.map(async (service) => {
      const holders = await findPortHolders(service.ports);
      return service.ports.map((spec) => {
        const shown = spec.host === undefined ? String(spec.port) : `${spec.host}:${spec.port}`;
        const held = holders.filter((holder) => holder.port === spec.port && holder.host === spec.host);
        if (held.length === 0) return pass('port', `${service.name}: ${shown} is free`);
        const foreign = held.find((holder) => ownerOf(holder, applied) === undefined);
        if (!foreign) return pass('port', `${service.name}: ${shown} is held by our service ${ownerOf(held[0] as { pid?: number }, applied)}`);
        const conflict = { ...foreign, ...(foreign.command === undefined ? {} : { command: redact(foreign.command) }) };
        return fail('port', `${service.name}: ${describePortConflict(conflict)}`, 'stop that process or change the port in stack.yaml');
      });
    }),
  );
  return perService.flat();
}
