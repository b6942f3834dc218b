import { describeOwner, digestServiceFiles, hashFile, lockStack, observe, plan, readApplied, readPlanFile, type PlanResult, type Workspace } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { checkSavedPlan, type SavedPlan } from '../../reconcile/saved-plan.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { open, serviceNamesOf, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { confirm } from '../confirm.js';
import { runPlan, runThroughController } from '../run-plan.js';
import { throughController } from '../through-controller.js';
import type { ApiClient, ApplyRequest, RunLine } from '../../api/connect.js';
import type { Plan } from '../../model/plan.js';
import { isScheduled } from '../../model/desired.js';

interface ApplyOptions extends GlobalOptions {
  yes?: boolean;
  dryRun?: boolean;
  target?: string[];
  parallel?: string;
  waitLock?: boolean;
  removeVolumes?: boolean;
}

export async function run(options: ApplyOptions, args: string[]): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const [planFile] = args;
  if (planFile !== undefined) return applySavedPlan(planFile, options, parallel);
  const workspace = await open(options);
  if (options.target) serviceNamesOf(workspace.desired, await readApplied(workspace), options.target);
  const carried = await throughController(options, (api) => applyThrough(api, workspace, options), 'trying without it');
  if (carried !== undefined) return carried;
  const lock = options.dryRun ? undefined : await lockStack(workspace, { command: 'stack apply', wait: options.waitLock, onWait: waitingForLock });
  try {
    if (lock?.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const planned = await plan(workspace, { targets: options.target });
    if (options.json && options.dryRun) {
      streams.stdout.write(renderPlanJson(planned.plan));
    } else if (!options.json) {
      streams.stdout.write(renderPlanHuman(planned.plan, { color: useColor(options) }));
    }
    if (options.dryRun) return ExitCode.ok;
    const removeVolumes = options.removeVolumes === true && (await confirmVolumeRemoval(planned.plan, providerIn(workspace, planned), options));
    const code = await runPlan(workspace, planned, { ...options, parallel, verb: 'Apply', question: 'Apply this plan?', removeVolumes });
    noteSchedules(workspace);
    return code;
  } finally {
    await lock?.release();
  }
}

/** Without a controller nothing runs a schedule: said after an apply that found none running. */
function noteSchedules(workspace: Workspace): void {
  const scheduled = workspace.desired.services.filter((service) => isScheduled(service) && service.enabled && service.state === 'running').map((service) => service.name);
  if (scheduled.length === 0) return;
  const names = scheduled.length > 3 ? `${scheduled.slice(0, 3).join(', ')} and ${scheduled.length - 3} more` : scheduled.join(', ');
  streams.stderr.write(`note: ${names} ${scheduled.length === 1 ? 'runs' : 'run'} on a schedule, and schedules run under a controller: start one with stack watch, stack up or stack up -d\n`);
}

/**
 * `--remove-volumes` deletes data that cannot be recovered, so it is asked separately from the
 * plan (ollama-stack's cleanup); `--yes` answers both. Only compose uninstalls remove volumes.
 */
async function confirmVolumeRemoval(plan: Plan, providerOf: (name: string) => string | undefined, options: ApplyOptions): Promise<boolean> {
  const removed = plan.actions
    .filter((action) => action.op === 'uninstall' && (providerOf(action.service) ?? 'compose') === 'compose')
    .map((action) => action.service);
  if (removed.length === 0) {
    streams.stderr.write('note: --remove-volumes: no compose service is uninstalled by this plan; no volume is removed\n');
    return false;
  }
  streams.stderr.write(`--remove-volumes: the volumes of ${removed.join(', ')} will be deleted; their data cannot be recovered.\n`);
  if (await confirm('Delete these volumes?', options)) return true;
  streams.stderr.write('Volumes kept.\n');
  return false;
}

/** A service's provider: as stack.yaml declares it, else as it was recorded. */
function providerIn(workspace: Workspace, planned?: PlanResult): (name: string) => string | undefined {
  return (name) => workspace.desired.services.find((service) => service.name === name)?.provider ?? planned?.applied.get(name)?.provider;
}

/**
 * The controller carries the apply out. With --yes it plans and acts in one call, and its plan
 * is shown as it comes; otherwise its plan is shown and asked about first, and carried out only
 * if planning afresh still gives it (its hash). --dry-run only asks for the plan.
 */
async function applyThrough(api: ApiClient, workspace: Workspace, options: ApplyOptions): Promise<number> {
  const show = showPlan(options);
  const run = (request: ApplyRequest, onLine?: (line: RunLine) => void) =>
    runThroughController((line, signal) => api.apply({ targets: options.target, ...request }, { onLine: line, signal }), { ...options, verb: 'Apply', onLine });
  if (options.yes && !options.dryRun && !options.removeVolumes) return run({}, showPlanLine(show));
  const body = await api.plan(options.target);
  if (options.json && options.dryRun) streams.stdout.write(renderPlanJson(body.saved.plan));
  else show(body.saved.plan);
  if (options.dryRun) return ExitCode.ok;
  // Removed services the controller knows of, not this file: they may be compose services (asked about, never assumed away).
  const removeVolumes = options.removeVolumes === true && (await confirmVolumeRemoval(body.saved.plan, providerIn(workspace), options));
  if (body.actions.length > 0 && !(await confirm('Apply this plan?', options))) {
    streams.stderr.write('Nothing done.\n');
    return ExitCode.actionFailed;
  }
  return run({ planHash: body.planHash, removeVolumes });
}

/** A saved plan the controller carries out, exactly, or refuses as stale (exit 1); its plan is shown once accepted. */
async function applySavedThrough(api: ApiClient, workspace: Workspace, saved: SavedPlan, options: ApplyOptions): Promise<number> {
  const removeVolumes = options.removeVolumes === true && (await confirmVolumeRemoval(saved.plan, providerIn(workspace), options));
  const onLine = showPlanLine(showPlan(options));
  return runThroughController((line, signal) => api.apply({ saved, removeVolumes }, { onLine: line, signal }), { ...options, verb: 'Apply', onLine });
}

function showPlan(options: ApplyOptions): (plan: Plan) => void {
  return (plan) => {
    if (!options.json) streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
  };
}

/** The run's `plan` line, shown as it comes. */
function showPlanLine(show: (plan: Plan) => void): (line: RunLine) => void {
  return (line) => {
    if (line.type === 'plan') show(line.saved.plan);
  };
}

/**
 * `stack apply plan.json`: exactly the saved plan, never re-planned, and without a question (it
 * was reviewed when saved). Under the lock, stack.yaml is hashed and every planned service
 * observed again; anything that moved since the plan was made refuses it (exit 1), saying what.
 */
async function applySavedPlan(planFile: string, options: ApplyOptions, parallel: number): Promise<number> {
  if (options.target) throw new StackError(ExitCode.actionFailed, '--target cannot narrow a saved plan', { hint: 'save a narrowed plan with `stack plan -t <service> -o <file>`' });
  const saved = await readPlanFile(planFile);
  const workspace = await open(options);
  if (!options.dryRun) {
    const carried = await throughController(options, (api) => applySavedThrough(api, workspace, saved, options), 'trying without it');
    if (carried !== undefined) return carried;
  }
  const lock = options.dryRun ? undefined : await lockStack(workspace, { command: 'stack apply', wait: options.waitLock, onWait: waitingForLock });
  try {
    if (lock?.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const stackHash = await hashFile(workspace.desired.file);
    await digestServiceFiles(workspace);
    const applied = await readApplied(workspace);
    const observed = await observe(workspace, applied);
    const problems = checkSavedPlan(saved, { desired: workspace.desired, stackHash, observed, applied });
    if (problems.length > 0) {
      throw new StackError(ExitCode.actionFailed, `the saved plan ${planFile} is stale: ${problems.join('; ')}`, {
        hint: 'make a new one with `stack plan -o <file>` (or run `stack apply` to plan afresh)',
      });
    }
    const planned: PlanResult = { plan: saved.plan, observed, applied };
    if (options.json && options.dryRun) streams.stdout.write(renderPlanJson(saved.plan));
    else if (!options.json) streams.stdout.write(renderPlanHuman(saved.plan, { color: useColor(options) }));
    if (options.dryRun) return ExitCode.ok;
    const removeVolumes = options.removeVolumes === true && (await confirmVolumeRemoval(saved.plan, providerIn(workspace, planned), options));
    return await runPlan(workspace, planned, { ...options, yes: true, parallel, verb: 'Apply', question: '', removeVolumes });
  } finally {
    await lock?.release();
  }
}
