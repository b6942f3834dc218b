import type { Workspace } from '../api.js';
import { describeOwner, lockHolder } from '../state/lock.js';

/** A line saying another stack process is acting on this stack right now, if one is. */
export async function controllerNotice(workspace: Workspace): Promise<string | undefined> {
  const holder = await lockHolder(workspace.paths.lockFile);
  return holder ? `note: ${describeOwner(holder)} is acting on this stack` : undefined;
}
