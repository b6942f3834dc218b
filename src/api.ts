import { noteStackSeen } from './state/stacks-seen.js';
import { basename, dirname } from 'node:path';
import type { Desired } from './model/desired.js';
import { observeServices } from './engine/observe.js';
import { withStaleDeclarations, withUnkeyedDigests } from './reconcile/declarations.js';
import { planActions } from './reconcile/plan.js';
import type { ApplyOutcome, ProgressEvent } from './model/outcome.js';
import type { Applied, Observed } from './model/observed.js';
import type { Plan } from './model/plan.js';
import { parseCacheFor } from './state/parse-cache.js';
import { runsAccountedFor, type MarkedRun } from './state/adopt.js';
import { checkStateOwner, readStateScanned, type ReadStateOptions } from './state/state-file.js';
import { StateStore } from './state/state-store.js';
import { digestServiceFiles, workspaceOf, type Workspace } from './engine/workspace.js';
import { readStack } from './load/read-stack.js';
import { PROVIDERS } from './providers/registry.js';
import { findStack, type FindOptions } from './api/stack-file.js';

export { digestServiceFiles, redactedVerbose, workspaceOf, type Workspace } from './engine/workspace.js';
export { apiSocketOf, askController, controllerOfStack, findController, startController, startDetachedController, stopController, type Controller, type ControllerOptions, type ControllerRequest, type ControllerResponse, type PassResult, type PoolEvent } from './api/controller.js';
export { describeOwner, isUnwritable, lockHolderOf, lockStack, type HeldLock, type LockOwner } from './api/lock.js';
export { findStack, readStackFile, stackSchema, type FindOptions } from './api/stack-file.js';
export { commitFile, prepareCommit, stacksToCompare, syncOnce, type CommitTarget, type SyncOutcome, type SyncSettings } from './api/gitops.js';
export { checksToJson, renderCheckTable, runChecks, type CheckResult } from './api/check.js';
export { clearGiveUps } from './api/restart.js';
export { parseSignal, signalServices, type ServiceSignalled } from './api/signal.js';
export { execInService } from './api/exec.js';
export { formatCommand } from './os/runner.js';
export { monotonicMs } from './os/monotonic.js';
export { pause } from './os/pause.js';
export { hashFile, readPlanFile, writePlanFile } from './api/plan-file.js';
export { escapedRuns, forgetGiveUps, killRecordedGroups, MAX_ESCAPED_ROUNDS, recordedWorkspace, stopEscapedRuns, type EscapedRunStop, type MarkedRun } from './api/down.js';
export { groupedIn, limitMechanismName, portOwnersOf, recordProbeResults, usageOf, usageSampler, UsageSampler, type PortOwner } from './api/status.js';
export { preparePluginService, type AddedService, type AddOptions } from './api/add.js';
export { declaredLogs, rotateRunningLogs } from './api/logs.js';
export { eventsFileOf, readEventJournal, type EventQuery, type JournalEvent } from './api/events.js';

export interface OpenOptions extends FindOptions {
  verbose?: (line: string) => void;
}

/** Finds and loads stack.yaml. Throws a StackError (exit 3 or 5) for people to read. */
export async function loadStack(options: OpenOptions = {}): Promise<Desired> {
  const env = options.env ?? process.env;
  const file = findStack({ ...options, env });
  const cache = parseCacheFor(file, env);
  return readStack(file, { providers: PROVIDERS, env, ...(cache ? { cache } : {}) });
}

/** stack.yaml as `text` would make it, not written: its issues (exit 5) or what it declares. */
export async function loadProposedStack(file: string, text: string, env: NodeJS.ProcessEnv = process.env): Promise<Desired> {
  return readStack(file, { providers: PROVIDERS, env, text });
}

export async function openWorkspace(options: OpenOptions = {}): Promise<Workspace> {
  return workspaceOf(await loadStack(options), options.verbose);
}

/**
 * What stack recorded as applied, from `.stack/state.json`, with runs whose state write was lost
 * adopted (a scan of /proc for processes carrying this stack's marker).
 */
export async function readApplied(workspace: Workspace): Promise<Applied> {
  return (await readAppliedScanned(workspace)).applied;
}

/**
 * readApplied, with the marked runs its scan found outside their services' groups and left alone
 * (`setsid` leaders, strays): `down` stops them once their services are stopped.
 */
export function readAppliedScanned(workspace: Workspace): Promise<{ applied: Applied; leftAlone: readonly MarkedRun[] }> {
  return readAppliedWith(workspace, true);
}

async function readAppliedWith(workspace: Workspace, adopt: ReadStateOptions['adopt']): Promise<{ applied: Applied; leftAlone: readonly MarkedRun[] }> {
  const { doc: state, leftAlone } = await readStateScanned(workspace.paths.stateFile, workspace.desired.project, { adopt });
  const { file, services } = workspace.desired;
  checkStateOwner(state, { stackFile: basename(file), folder: dirname(file), declared: new Set(services.map((service) => service.name)) });
  return { applied: new Map(Object.entries(state.services)), leftAlone };
}

/**
 * For commands that only look (`status`, the question `down` asks first): what stack recorded,
 * and what each service is now. The scan of /proc for lost runs is made only when the records
 * cannot account for what should run: a service of a grouped provider (process) that should run has no record (known
 * before observing), or a process record's run is not running (known from the observation,
 * which reads each run's /proc entry once); then what the scan adopted is observed.
 */
export async function viewServices(workspace: Workspace, signal?: AbortSignal, options: { probe?: boolean } = {}): Promise<{ applied: Applied; observed: Observed }> {
  const expected = await runsExpected(workspace);
  // The state's own adopt hook decides whether the first read scans; whether it did is kept.
  let scanned = false;
  const { applied: recorded } = await readAppliedWith(workspace, (services) => (scanned = expected.some((name) => services[name] === undefined)));
  const observed = await observe(workspace, recorded, signal, options);
  const stoppedOnPurpose = new Set(workspace.desired.services.filter((service) => service.enabled && service.state === 'stopped').map((service) => service.name));
  if (scanned || runsAccountedFor(recorded, observed, stoppedOnPurpose)) return { applied: recorded, observed };
  const { applied } = await readAppliedWith(workspace, true);
  const adopted = [...applied].some(([name, record]) => recorded.get(name)?.pid !== record.pid);
  return { applied, observed: adopted ? await observe(workspace, applied, signal, options) : observed };
}

/** The services that should run as process groups this stack spawned (a grouped provider's): a lost record of theirs is found by a scan of /proc. */
async function runsExpected(workspace: Workspace): Promise<string[]> {
  const wanted = workspace.desired.services.filter((service) => service.enabled && service.state === 'running');
  const grouped = await Promise.all(wanted.map(async (service) => (await workspace.providers.get(service.provider).catch(() => undefined))?.capabilities.grouped === true));
  return wanted.filter((_, index) => grouped[index]).map((service) => service.name);
}

/** `probe`: run the services' probes now (`status --probe`); otherwise their last recorded results are reported. */
export async function observe(workspace: Workspace, applied: Applied, signal = new AbortController().signal, options: { probe?: boolean } = {}): Promise<Observed> {
  return observeServices(workspace.desired, applied, workspace.providers, { ...workspace.ctx, signal, ...(options.probe ? { probe: true } : {}) });
}

export interface PlanResult {
  plan: Plan;
  observed: Observed;
  applied: Applied;
}

/**
 * Observes from scratch and plans: level-based, nothing carried over from earlier runs. `look`:
 * a plan only shown (`stack plan`), which scans /proc for lost runs only when the records cannot
 * account for what should run (viewServices); a plan to act on always scans.
 */
export async function plan(workspace: Workspace, options: { targets?: string[]; look?: boolean } = {}): Promise<PlanResult> {
  await digestServiceFiles(workspace);
  const { applied, observed } = options.look ? await viewServices(workspace) : await readAndObserve(workspace);
  return { plan: planActions(workspace.desired, observed, applied, options), observed, applied };
}

async function readAndObserve(workspace: Workspace): Promise<{ applied: Applied; observed: Observed }> {
  const applied = await readApplied(workspace);
  return { applied, observed: await observe(workspace, applied) };
}

export interface ApplyOptions {
  parallel?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Uninstalls also delete data volumes (compose `down --volumes`); the caller confirmed it. */
  removeVolumes?: boolean;
}

/**
 * Records how stack.yaml now says to stop each recorded service and what it depends on, when a
 * plan had nothing to do (apply does it as it acts). The caller holds the lock.
 */
export async function recordDeclarations(workspace: Workspace, applied: Applied): Promise<void> {
  if (withStaleDeclarations(workspace.desired.services, applied).length === 0 && withUnkeyedDigests(workspace.desired.services, applied).length === 0) return;
  const state = await StateStore.open(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file));
  if (state.recordDeclarations(workspace.desired.services)) await state.flush();
}

/**
 * After `down`: a service whose recorded run had already ended by itself (no stack process saw
 * it end) is recorded as stopped, as `down` means, so `status` says `stopped`. The caller holds the lock.
 */
export async function recordEndedRunsStopped(workspace: Workspace, { applied, observed }: { applied: Applied; observed: Observed }, names: ReadonlySet<string>): Promise<void> {
  // Only a run recorded when `down` read the state can have ended unseen (it holds the lock and
  // starts nothing): a service already stopped opens no state, and so scans /proc again for nothing.
  const ended = [...observed.values()].filter((each) => names.has(each.name) && applied.get(each.name)?.pid !== undefined && each.phase !== 'running' && each.phase !== 'starting' && each.phase !== 'unknown');
  if (ended.length === 0) return;
  const state = await StateStore.open(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file));
  let changed = false;
  for (const { name } of ended) {
    const record = state.get(name);
    if (record?.pid === undefined) continue;
    const provider = await workspace.providers.get(record.provider).catch(() => undefined);
    await provider?.ended?.(name, record, workspace.ctx).catch(() => undefined);
    changed = true;
    state.record(name, (current) => current && { ...current, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true, probe: undefined });
  }
  if (changed) await state.flush();
}

/** Carries out a plan. The caller holds the lock. */
export async function apply(workspace: Workspace, planned: PlanResult, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  // Loaded on demand: reading commands (validate, plan, status) never load xstate.
  const { executePlan } = await import('./engine/execute.js');
  const state = await StateStore.open(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file));
  const outcome = await executePlan({
    desired: workspace.desired,
    plan: planned.plan,
    observed: planned.observed,
    state,
    providers: workspace.providers,
    ctx: options.removeVolumes ? { ...workspace.ctx, removeVolumes: true } : workspace.ctx,
    parallel: options.parallel ?? 4,
    signal: options.signal ?? new AbortController().signal,
    onProgress: options.onProgress,
  });
  const lost = state.unrecorded();
  // `stack check` of another copy of the stack warns of names and fixed ports both claim.
  await noteStackSeen(workspace.desired, process.env);
  return lost ? { ...outcome, unrecorded: lost.message } : outcome;
}

/**
 * Rewrites stack.yaml through `edit`, atomically (api/stack-file-edit.ts). Loaded on demand:
 * commands that only read never load what writing brings (node:crypto).
 */
export async function editStackFile(file: string, edit: (text: string) => string): Promise<void> {
  const { editStackFile: editFile } = await import('./api/stack-file-edit.js');
  return editFile(file, edit);
}
