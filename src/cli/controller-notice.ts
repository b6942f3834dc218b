import { lockHolderOf, type LockOwner, type Workspace } from '../api.js';
import { actingNotice } from './acting-notice.js';

/** A line saying another stack process is acting on this stack right now, if one is. */
export async function controllerNotice(workspace: Workspace): Promise<string | undefined> {
  return noticeFor(await lockHolderOf(workspace));
}

export function noticeFor(holder: LockOwner | undefined): string | undefined {
  return holder ? actingNotice(holder) : undefined;
}
