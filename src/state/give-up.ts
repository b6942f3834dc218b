import type { AppliedService } from '../model/observed.js';
import { StateStore } from './state-store.js';

/** A record without its give-up: the service is started again by the next apply or pass. */
export function withoutGiveUp(record: AppliedService | undefined): AppliedService | undefined {
  return record && { ...record, gaveUp: false, gaveUpAfter: undefined, gaveUpDeclared: undefined };
}

/**
 * `stack down` gives the services it covered a new chance: whatever made one give up (a port
 * held, a dependency down) may be gone by the next `apply` or `up`, which then starts it.
 */
export async function forgetGiveUps(stateFile: string, project: string, stackFile: string, names: Iterable<string>): Promise<void> {
  const state = await StateStore.open(stateFile, project, stackFile);
  const gaveUp = [...names].filter((name) => state.get(name)?.gaveUp === true);
  for (const name of gaveUp) await state.update(name, withoutGiveUp);
}
