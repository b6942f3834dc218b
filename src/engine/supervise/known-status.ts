import type { Desired } from '../../model/desired.js';
import type { Applied, Observed, ObservedService, Phase } from '../../model/observed.js';
import type { SupervisedPool } from './service-pool.js';
import { observeIdle } from '../../reconcile/idle.js';

/**
 * Every service as the controller knows it, without looking: its machine's state, and the
 * records it keeps (pid, start, restarts, last exit, last probe result). No probe, no /proc scan.
 */
export function knownObserved(desired: Desired, applied: Pick<Applied, 'get' | 'keys'>, pool: SupervisedPool): Observed {
  return knownObservedOf(new Set([...desired.services.map((service) => service.name), ...applied.keys()]), applied, pool);
}

/**
 * knownObserved of `names` only: those stack.yaml declares (as the pool has it) or a record
 * keeps; the others are left out. What a change to a few services needs, at the cost of those few.
 */
export function knownObservedOf(names: Iterable<string>, applied: Pick<Applied, 'get'>, pool: SupervisedPool): Observed {
  const observed = new Map<string, ObservedService>();
  for (const name of names) {
    const record = applied.get(name);
    if (!record && pool.service(name) === undefined) continue;
    const phase = phaseOf(pool.stateOf(name), record?.pid !== undefined && record.stoppedByUs !== true);
    const running = phase === 'running' || phase === 'starting';
    const why = pool.leftAloneWhy(name);
    // No run: its record says how the last one ended, as daemonless status reads it.
    if (!running && phase !== 'stopping' && record && record.pid === undefined) {
      const idle = observeIdle(name, record);
      observed.set(name, { ...idle, ...(idle.detail ?? why ? { detail: idle.detail ?? why } : {}) });
      continue;
    }
    observed.set(name, {
      name,
      phase,
      ...(running && record?.pid !== undefined ? { pid: record.pid } : {}),
      ...(running && record?.startedAt ? { since: record.startedAt } : {}),
      restarts: record?.restarts ?? 0,
      ...(running && record?.probe ? { probe: record.probe, health: record.probe.ok ? 'ready' : record.probe.kind === 'health' ? 'unhealthy' : 'unready' } : {}),
      ...(why ? { detail: why } : {}),
    });
  }
  return observed;
}

/** A machine's state as `status` names it; without a machine, what the record says. */
function phaseOf(machine: string | undefined, recordedRunning: boolean): Phase {
  switch (machine) {
    case undefined:
      return recordedRunning ? 'running' : 'absent';
    case 'running':
    case 'stopping':
    case 'stopped':
    case 'absent':
    case 'crashed':
      return machine;
    case 'completed':
      // A task that ran to its end: its record says how (observeIdle).
      return 'stopped';
    case 'failed':
    case 'startFailed':
    case 'backoff':
      // No run: the restart policy waits or gave up.
      return 'crashed';
    case 'uninstalling':
      return 'stopping';
    default:
      // init, installing, starting, waitingReady, abandoning, restarting, recovering: on its way.
      return 'starting';
  }
}
