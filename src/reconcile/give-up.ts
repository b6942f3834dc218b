import type { DesiredService } from '../model/desired.js';
import { hashString } from './hash.js';
import { specOf } from './spec.js';
import type { AppliedService } from '../model/observed.js';

/**
 * Digests of every part of a service's declaration, recorded when it gives up. The spec hash
 * leaves `ready`, `health`, `restart` and the like out (a new probe must not restart a healthy
 * service), but any of them may be why the service kept failing (a wrong port to probe, too
 * short a timeout), so an edit of any of them gives a service that gave up a new chance.
 * `state` and `enabled` are not parts: they say whether it runs, not how.
 */
export function declarationDigests(service: DesiredService): Record<string, string> {
  const parts: Record<string, unknown> = {
    spec: specOf(service).specHash,
    ready: service.ready,
    health: service.health,
    start: service.start,
    stop: service.stop,
    restart: service.restart,
    logs: service.logs,
    dependsOn: service.dependsOn,
    ports: service.ports,
  };
  const digests: Record<string, string> = {};
  for (const [part, value] of Object.entries(parts)) digests[part] = hashString(JSON.stringify(value ?? null));
  return digests;
}

/**
 * The parts of the declaration edited since the service gave up (`spec` for what the spec hash
 * covers), empty while the give-up stands. A record from before the parts were recorded
 * compares its spec hash only.
 */
export function changedSinceGiveUp(service: DesiredService, applied: AppliedService): string[] {
  const then = applied.gaveUpDeclared;
  if (!then) return applied.specHash === specOf(service).specHash ? [] : ['spec'];
  const now = declarationDigests(service);
  return Object.keys(now).filter((part) => now[part] !== then[part]);
}

/** The restarts in a row the service made before it gave up. */
export function restartsBeforeGivingUp(applied: AppliedService): number {
  return applied.gaveUpAfter ?? applied.restarts;
}
