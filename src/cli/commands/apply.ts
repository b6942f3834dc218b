import { plan, readApplied } from '../../api.js';
import { ExitCode } from '../../errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { acquireLock, describeOwner } from '../../state/lock.js';
import { checkServiceNames, open, parseParallel, streams, useColor, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';

interface ApplyOptions extends GlobalOptions {
  yes?: boolean;
  dryRun?: boolean;
  target?: string[];
  parallel?: string;
  waitLock?: boolean;
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
    return await runPlan(workspace, planned, { ...options, parallel, verb: 'Apply', question: 'Apply this plan?' });
  } finally {
    await lock?.release();
  }
}
