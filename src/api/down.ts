import { basename, dirname } from 'node:path';
import type { Applied } from '../model/observed.js';
import { stopSpecOf } from '../reconcile/declarations.js';
import { stopEscapedRuns as stopRuns, type EscapedRunStop, type MarkedRun } from '../state/adopt.js';
import { forgetGiveUps as forget } from '../state/give-up.js';
import { statePaths } from '../state/paths.js';
import { readRecordedProject } from '../state/recorded-project.js';
import { workspaceOf, type Workspace } from '../engine/workspace.js';

export { MAX_ESCAPED_ROUNDS, type EscapedRunStop, type MarkedRun } from '../state/adopt.js';

/**
 * For `down` when stack.yaml (at `file`) does not load: a workspace with no services, when
 * `.stack/state.json` records something; undefined otherwise. Every recorded service is then
 * stopped as a service removed from the file would be, as its record says: dependents first,
 * each with its own stop signal and timeout as recorded when stack last acted on it.
 */
export async function recordedWorkspace(file: string): Promise<Workspace | undefined> {
  const root = dirname(file);
  const recorded = await readRecordedProject(statePaths(root).stateFile);
  if (!recorded) return undefined;
  return workspaceOf({ version: 1, project: recorded.project ?? basename(root), file, root, services: [] });
}

/**
 * Of the runs a scan found outside their service's process group (a launcher that daemonized
 * and exited; `readAppliedScanned`'s `leftAlone`), those of `services`: a service that no
 * longer runs can still have left one.
 */
export function escapedRuns(leftAlone: readonly MarkedRun[], services: ReadonlySet<string>): readonly MarkedRun[] {
  return leftAlone.filter((run) => services.has(run.service));
}

/**
 * Stops what the stopped `services` left outside their groups, each with its service's stop
 * signal and timeout; `left`: what still ran after every round.
 */
export function stopEscapedRuns(workspace: Workspace, applied: Applied, leftAlone: readonly MarkedRun[], services: ReadonlySet<string>): Promise<{ stops: EscapedRunStop[]; left: MarkedRun[] }> {
  const stopOf = (name: string) => stopSpecOf(workspace.desired.services.find((service) => service.name === name), applied.get(name));
  return stopRuns(workspace.ctx.stateDir, leftAlone, services, stopOf);
}

/** After `down` of `services`: those that gave up get a new chance with the next apply. The caller holds the lock. */
export function forgetGiveUps(workspace: Workspace, services: Iterable<string>): Promise<void> {
  return forget(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file), services);
}

/** The last resort (a second Ctrl+C during `stack up`'s teardown): SIGKILL every process group the state records as ours. */
export async function killRecordedGroups(workspace: Workspace): Promise<void> {
  // Loaded on demand, as apply's executor is: it brings the process runner.
  const { killRecordedGroups: killGroups } = await import('../engine/supervise/kill.js');
  return killGroups(workspace.paths.stateFile);
}
