import { describeOwner, digestServiceFiles, hashFile, lockStack, observe, plan, readApplied, readPlanFile, type PlanResult, type Workspace } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { checkSavedPlan } from '../../reconcile/saved-plan.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { checkServiceNames, open, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { confirm } from '../confirm.js';
import { runPlan } from '../run-plan.js';

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
  if (options.target) checkServiceNames(workspace.desired, await readApplied(workspace), options.target);
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
    const removeVolumes = options.removeVolumes === true && (await confirmVolumeRemoval(workspace, planned, options));
    return await runPlan(workspace, planned, { ...options, parallel, verb: 'Apply', question: 'Apply this plan?', removeVolumes });
  } finally {
    await lock?.release();
  }
}

/**
 * `--remove-volumes` deletes data that cannot be recovered, so it is asked separately from the
 * plan (ollama-stack's cleanup); `--yes` answers both. Only compose uninstalls remove volumes.
 */
async function confirmVolumeRemoval(workspace: Workspace, planned: PlanResult, options: ApplyOptions): Promise<boolean> {
  const composeOf = (name: string) =>
    workspace.desired.services.find((service) => service.name === name)?.provider ?? planned.applied.get(name)?.provider;
  const removed = planned.plan.actions
    .filter((action) => action.op === 'uninstall' && composeOf(action.service) === 'compose')
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

/**
 * `stack apply plan.json`: exactly the saved plan, never re-planned, and without a question (it
 * was reviewed when saved). Under the lock, stack.yaml is hashed and every planned service
 * observed again; anything that moved since the plan was made refuses it (exit 1), saying what.
 */
async function applySavedPlan(planFile: string, options: ApplyOptions, parallel: number): Promise<number> {
  if (options.target) throw new StackError(ExitCode.actionFailed, '--target cannot narrow a saved plan', { hint: 'save a narrowed plan with `stack plan -t <service> -o <file>`' });
  const saved = await readPlanFile(planFile);
  const workspace = await open(options);
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
    const removeVolumes = options.removeVolumes === true && (await confirmVolumeRemoval(workspace, planned, options));
    return await runPlan(workspace, planned, { ...options, yes: true, parallel, verb: 'Apply', question: '', removeVolumes });
  } finally {
    await lock?.release();
  }
}
