import { basename } from 'node:path';
import type { Workspace } from '../engine/workspace.js';
import { clearRecordedGiveUps } from '../state/give-up.js';
import { StateStore } from '../state/state-store.js';

/** `stack restart`: the named services start afresh, whatever they gave up on (a crash loop). The caller holds the lock. */
export async function clearGiveUps(workspace: Workspace, services: Iterable<string>): Promise<void> {
  await clearRecordedGiveUps(await StateStore.open(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file)), services);
}
