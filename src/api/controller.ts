import type { ControllerRequest, ControllerResponse } from '../engine/supervise/requests.js';
import * as client from '../engine/supervise/controller-client.js';
import { longestStopTimeout } from '../engine/supervise/stopped-controller.js';
import type { Workspace } from '../engine/workspace.js';
import type { LockOwner } from '../state/lock.js';

export type { ControllerRequest, ControllerResponse } from '../engine/supervise/requests.js';
export { describeOwner, type LockOwner } from '../state/lock.js';

/** The controller (`stack watch`, `stack up`) reconciling this stack right now, if one is. */
export function findController(workspace: Workspace): Promise<LockOwner | undefined> {
  return client.findController(workspace.paths.lockFile);
}

/**
 * Ends the running controller and resolves once it let go of the lock; one found stopped
 * (SIGSTOP, Ctrl+Z) is continued, then killed after the stack's longest stop timeout. `say`
 * tells people what happens meanwhile.
 */
export function stopController(workspace: Workspace, holder: LockOwner, say: (line: string) => void): Promise<void> {
  return client.stopController(workspace.paths.lockFile, holder, { stopTimeoutMs: longestStopTimeout(workspace.desired), say });
}

/**
 * Hands a request to the running controller and resolves with its answer; undefined when the
 * controller stayed stopped and was killed: the caller then acts itself, under the lock.
 */
export function askController(workspace: Workspace, holder: LockOwner, request: Omit<ControllerRequest, 'id'>, say: (line: string) => void): Promise<ControllerResponse | undefined> {
  return client.askController(workspace.paths.dir, workspace.paths.lockFile, holder, request, { stopTimeoutMs: longestStopTimeout(workspace.desired), say });
}
