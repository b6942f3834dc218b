import { redactorOf } from '../config/secrets.js';
import type { DesiredService, Probe } from '../model/desired.js';
import type { Health, ProbeRecord } from '../model/observed.js';
import type { CheckResult } from './probe-checks.js';

/** Which of a service's probes `status` and the controller judge it by: `health`, else `ready`. */
export function watchedProbe(service: { health?: Probe | undefined; ready?: Probe | undefined } | undefined): { kind: ProbeRecord['kind']; probe: Probe } | undefined {
  if (service?.health) return { kind: 'health', probe: service.health };
  if (service?.ready) return { kind: 'ready', probe: service.ready };
  return undefined;
}

/** A probe's result as the state records it (and status prints it): `at` an ISO time, the service's secrets out of the reason. */
export function probeRecordOf(kind: ProbeRecord['kind'], result: CheckResult, at: string, service: DesiredService): ProbeRecord {
  // The last line an exec probe printed may hold one of the service's secrets.
  return result.ok ? { kind, ok: true, at } : { kind, ok: false, reason: redactorOf({ services: [service] })(result.reason), at };
}

/** What a probe result says of the service: a failed `health` probe is unhealthy, a failed `ready` one unready. */
export function healthOf(record: ProbeRecord): Health {
  if (record.ok) return 'ready';
  return record.kind === 'health' ? 'unhealthy' : 'unready';
}
