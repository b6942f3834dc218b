import { noteStackSeen } from '../state/stacks-seen.js';
import { dirname } from 'node:path';
import type { ControllerRequest, ControllerResponse } from '../engine/supervise/requests.js';
import * as client from '../engine/supervise/controller-client.js';
import { longestStopTimeout } from '../engine/supervise/stopped-controller.js';
import type { Workspace } from '../engine/workspace.js';
import type { LockOwner } from '../state/lock.js';
import { statePaths } from '../state/paths.js';
import type { Controller, ControllerOptions } from '../engine/supervise/controller.js';
import type { EarlyExit, FirstPass } from '../engine/supervise/detach.js';
import { readStackFile } from './stack-file.js';
import { signalProcess } from '../os/signal.js';

export type { ControllerRequest, ControllerResponse } from '../engine/supervise/requests.js';

/** The controller (`stack watch`, `stack up`) reconciling this stack right now, if one is. */
export function findController(workspace: Workspace): Promise<LockOwner | undefined> {
  return client.findController(workspace.paths.lockFile);
}

/**
 * Ends the running controller and resolves once it let go of the lock; one found stopped
 * (SIGSTOP, Ctrl+Z) is continued, then killed after the stack's longest stop timeout. `say`
 * tells people what happens meanwhile. `asked`: it was asked through its API already; only waited for.
 */
export function stopController(workspace: Workspace, holder: LockOwner, say: (line: string) => void, options: { asked?: boolean } = {}): Promise<void> {
  return client.stopController(workspace.paths.lockFile, holder, { stopTimeoutMs: longestStopTimeout(workspace.desired), say, asked: options.asked });
}

/** The controller of the stack whose file is `file`, if one runs; stack.yaml is not read. */
export function controllerOfStack(file: string): Promise<LockOwner | undefined> {
  return client.findController(statePaths(dirname(file)).lockFile);
}

/** Where the controller of the stack whose file is `file` serves its API (docs/api.md). */
export function apiSocketOf(file: string): string {
  return statePaths(dirname(file)).apiSocket;
}

/**
 * Hands a request to the running controller and resolves with its answer; undefined when the
 * controller stayed stopped and was killed: the caller then acts itself, under the lock.
 */
export function askController(workspace: Workspace, holder: LockOwner, request: Omit<ControllerRequest, 'id'>, say: (line: string) => void): Promise<ControllerResponse | undefined> {
  return client.askController(workspace.paths.dir, workspace.paths.lockFile, holder, request, { stopTimeoutMs: longestStopTimeout(workspace.desired), say });
}

export type { Controller, ControllerOptions, PassResult } from '../engine/supervise/controller.js';
export type { PoolEvent } from '../engine/supervise/service-pool.js';

/**
 * Starts a controller (`stack watch`, `stack up`) in this process: it takes the lock, makes a
 * first pass and keeps reconciling until closed, and serves its API on `.stack/api.sock`
 * (docs/api.md) from its first pass until then. Loaded on demand: the controller brings xstate, the file watcher and
 * the pool, which commands that only act once never load.
 */
export async function startController(options: ControllerOptions & { onStopRequested?: () => void }): Promise<Controller> {
  const { Controller: Started } = await import('../engine/supervise/controller.js');
  const { serveApi } = await import('./server.js');
  // `POST /v1/stop` ends the controller as `stack down` does: the command that runs it closes it on SIGTERM.
  const stop = options.onStopRequested ?? (() => void signalProcess(process.pid, 'SIGTERM'));
  // Served before the first pass: once `stack up --detach` returns, the API answers.
  const started = await Started.start(options, (controller) => serveApi(controller, { stop }));
  // `stack check` of another copy of the stack warns of names and fixed ports both claim.
  await noteStackSeen(started.current, process.env);
  return started;
}

/**
 * `stack up --detach`: starts `stack watch` (run by `cli`) in the background for the stack file
 * at `file`, and resolves with its first pass, or how it exited before one.
 */
export async function startDetachedController(options: { cli: string; file: string; intervalMs: number; parallel: number }): Promise<FirstPass | EarlyExit> {
  const desired = await readStackFile(options.file);
  const { startDetachedController: start } = await import('../engine/supervise/detach.js');
  return start({ ...options, stateDir: statePaths(desired.root).dir });
}
