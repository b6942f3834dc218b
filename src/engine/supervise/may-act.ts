import type { Desired } from '../../model/desired.js';
import type { Action } from '../../model/plan.js';
import type { AppliedService } from '../../model/observed.js';
import { changedSinceGiveUp } from '../../reconcile/give-up.js';
import { recordedAs, specOf } from '../../reconcile/spec.js';
import type { SupervisedPool } from './service-pool.js';

/**
 * Whether a pass may carry out `action`. It leaves alone what the supervisor owns: machines
 * mid-operation or backing off, and crashes and failed starts the restart policy decided to
 * leave, until their spec changes (or, for one that gave up, any part of its declaration:
 * `ready` included).
 */
export function passMayAct(action: Action, pool: SupervisedPool, desired: Desired, applied: AppliedService | undefined): boolean {
  const name = action.service;
  if (pool.isBusy(name)) return false;
  if (!pool.leftAlone(name)) return true;
  const service = desired.services.find((candidate) => candidate.name === name);
  if (!service || !applied) return true;
  if (applied.gaveUp) return changedSinceGiveUp(service, applied).length > 0;
  return !recordedAs(specOf(service), applied);
}
