import type { Probe } from '../config/types.js';
import type { Health, ProbeRecord } from '../reconcile/types.js';
import type { CheckResult } from './probe-checks.js';

/** Which of a service's probes `status` and the controller judge it by: `health`, else `ready`. */
export function watchedProbe(service: { health?: Probe | undefined; ready?: Probe | undefined } | undefined): { kind: ProbeRecord['kind']; probe: Probe } | undefined {
  if (service?.health) return { kind: 'health', probe: service.health };
  if (service?.ready) return { kind: 'ready', probe: service.ready };
  return undefined;
}

/** A probe's result as the state records it. `at` is an ISO time. */
export function probeRecordOf(kind: ProbeRecord['kind'], result: CheckResult | { ok: false; reason: string }, at: string): ProbeRecord {
  return result.ok ? { kind, ok: true, at } : { kind, ok: false, reason: result.reason, at };
}

/** What a probe result says of the service: a failed `health` probe is unhealthy, a failed `ready` one unready. */
export function healthOf(record: ProbeRecord): Health {
  if (record.ok) return 'ready';
  return record.kind === 'health' ? 'unhealthy' : 'unready';
}
