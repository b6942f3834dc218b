import { observe, readApplied } from '../../api.js';
import { ExitCode, StackError } from '../../errors.js';
import { planDown } from '../../reconcile/plan-down.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { acquireLock, describeOwner, isController, lockHolder } from '../../state/lock.js';
import { checkServiceNames, open, parseParallel, streams, useColor, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';

interface DownOptions extends GlobalOptions {
  yes?: boolean;
  parallel?: string;
  waitLock?: boolean;
}

export async function run(options: DownOptions, names: string[]): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const workspace = await open(options);
  await stopController(workspace.paths.lockFile);
  const lock = await acquireLock(workspace.paths.lockFile, { command: 'stack down', wait: options.waitLock });
  try {
    if (lock.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const applied = await readApplied(workspace);
    checkServiceNames(workspace.desired, applied, names);
    const observed = await observe(workspace, applied);
    const plan = planDown(workspace.desired, observed, applied, names);
    if (plan.actions.length === 0) {
      if (options.json) streams.stdout.write(renderPlanJson(plan));
      else streams.stdout.write('Nothing is running.\n');
      return ExitCode.ok;
    }
    if (!options.json) streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
    return await runPlan(workspace, { plan, observed, applied }, { ...options, parallel, verb: 'Down', rotateLogs: false, question: `Stop ${plan.actions.length} service${plan.actions.length === 1 ? '' : 's'}?` });
  } finally {
    await lock.release();
  }
}

/** `stack down` also ends a running controller first (it would restart what we stop). */
async function stopController(lockFile: string): Promise<void> {
  const holder = await lockHolder(lockFile);
  if (!holder || !isController(holder)) return;
  streams.stderr.write(`stopping the controller: ${describeOwner(holder)}\n`);
  try {
    process.kill(holder.pid, 'SIGTERM');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPERM') throw new StackError(ExitCode.locked, `the controller (pid ${holder.pid}) belongs to another user; stop it there`);
    if (code !== 'ESRCH') throw error;
  }
  const deadline = Date.now() + 120_000;
  while ((await lockHolder(lockFile))?.pid === holder.pid) {
    if (Date.now() > deadline) throw new StackError(ExitCode.locked, `the controller (pid ${holder.pid}) did not stop within 2 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
