import { lockHolderOf, type Workspace } from '../api.js';
import { actingNotice } from './acting-notice.js';

/** A line saying another stack process is acting on this stack right now, if one is. */
export async function controllerNotice(workspace: Workspace): Promise<string | undefined> {
  const holder = await lockHolderOf(workspace);
  return holder ? actingNotice(holder) : undefined;
}
