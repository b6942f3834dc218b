import { describeOwner, lockHolderOf, type LockOwner, type Workspace } from '../api.js';

/** A line saying another stack process is acting on this stack right now, if one is. */
export async function controllerNotice(workspace: Workspace): Promise<string | undefined> {
  return noticeFor(await lockHolderOf(workspace));
}

export function noticeFor(holder: LockOwner | undefined): string | undefined {
  return holder ? `note: ${describeOwner(holder)} is acting on this stack` : undefined;
}
