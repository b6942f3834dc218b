import { describeOwner, type LockOwner } from '../api/controller-socket.js';

/** The line that says `holder` (the lock's live holder) is acting on this stack. Light: fast `status` says it too. */
export function actingNotice(holder: LockOwner): string {
  return `note: ${describeOwner(holder)} is acting on this stack`;
}
