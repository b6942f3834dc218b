import type { AppliedService } from '../model/observed.js';
import { StateStore } from './state-store.js';

/** A record without its give-up: the service is started again by the next apply or pass. */
export function withoutGiveUp(record: AppliedService | undefined): AppliedService | undefined {
  return record && { ...record, gaveUp: false, gaveUpAfter: undefined, gaveUpDeclared: undefined };
}

/**
 * Clears the give-ups of `names` (those that have one) in one write of the state file. An
 * awaited write per service was a serialise-and-fsync of the whole file each: a `stack restart`
 * of 1,000 spent ~7 s daemonless (~20 s in a controller, beside its other work) on them before
 * it stopped anything.
 */
export async function clearRecordedGiveUps(state: StateStore, names: Iterable<string>): Promise<void> {
  let changed = false;
  for (const name of names) {
    const record = state.get(name);
    if (!record || (record.gaveUp !== true && record.gaveUpAfter === undefined && record.gaveUpDeclared === undefined)) continue;
    state.record(name, withoutGiveUp);
    changed = true;
  }
  if (changed) await state.flush();
}

/**
 * `stack down` gives the services it covered a new chance: whatever made one give up (a port
 * held, a dependency down) may be gone by the next `apply` or `up`, which then starts it.
 */
export async function forgetGiveUps(stateFile: string, project: string, stackFile: string, names: Iterable<string>): Promise<void> {
  await clearRecordedGiveUps(await StateStore.open(stateFile, project, stackFile), names);
}
