import { describeOwner, lockHolderOf, type Workspace } from '../api.js';

/** A line saying another stack process is acting on this stack right now, if one is. */
export async function controllerNotice(workspace: Workspace): Promise<string | undefined> {
  const holder = await lockHolderOf(workspace);
  return holder ? `note: ${describeOwner(holder)} is acting on this stack` : undefined;
}
