import { plan, readApplied, type PlanResult, type Workspace } from '../../api.js';
import { ExitCode } from '../../errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { acquireLock, describeOwner } from '../../state/lock.js';
import { checkServiceNames, open, parseParallel, streams, useColor, type GlobalOptions } from '../context.js';
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

export async function run(options: ApplyOptions): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const workspace = await open(options);
  if (options.target) checkServiceNames(workspace.desired, await readApplied(workspace), options.target);
  const lock = options.dryRun ? undefined : await acquireLock(workspace.paths.lockFile, { command: 'stack apply', wait: options.waitLock });
  try {
    if (lock?.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const planned = await plan(workspace, { targets: options.target });
    if (options.json && (options.dryRun || planned.plan.actions.length === 0)) {
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
