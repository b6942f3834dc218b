import type { Workspace } from '../engine/workspace.js';
import { acquireLock, lockHolder, type HeldLock, type LockOptions, type LockOwner } from '../state/lock.js';

export { describeOwner, type HeldLock, type LockOwner } from '../state/lock.js';
export { isUnwritable } from '../state/unwritable.js';

/**
 * Takes the stack's lock (`.stack/lock`): one process acts on a stack at a time. Fails (exit 7)
 * while another holds it, or waits with `wait`; a dead holder's lock is taken over and
 * `tookOverFrom` says whose it was. The caller releases it.
 */
export function lockStack(workspace: Workspace, options: Omit<LockOptions, 'pollMs'>): Promise<HeldLock> {
  return acquireLock(workspace.paths.lockFile, options);
}

/** Who acts on this stack right now (a controller, another apply), if a live process does. */
export function lockHolderOf(workspace: Workspace): Promise<LockOwner | undefined> {
  return lockHolder(workspace.paths.lockFile);
}
