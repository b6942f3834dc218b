import { observe, readApplied, type Workspace } from '../../api.js';
import { ExitCode, StackError } from '../../errors.js';
import { planDown } from '../../reconcile/plan-down.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { acquireLock, describeOwner, isController, lockHolder } from '../../state/lock.js';
import { checkServiceNames, open, parseParallel, streams, useColor, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';
import { DEFAULT_STOP } from '../../reconcile/execute-unit.js';

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
      else streams.stdout.write(names.length === 0 ? 'Nothing is running.\n' : `Nothing to stop: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not running.\n`);
      return ExitCode.ok;
    }
    if (!options.json) streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
    const code = await runPlan(workspace, { plan, observed, applied }, { ...options, parallel, verb: 'Down', rotateLogs: false, question: `Stop ${plan.actions.length} service${plan.actions.length === 1 ? '' : 's'}?` });
    if (code !== ExitCode.interrupted) await stopEscapedRuns(workspace, new Set(plan.actions.filter((action) => action.op === 'stop').map((action) => action.service)));
    return code;
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

/**
 * A process that left its service's group and session (`setsid`, a daemon's double fork) is not
 * stopped with the group, but carries the service's marker. Reading the state found such runs
 * beside their services' live runs; those of the services just stopped are stopped too, and
 * /proc is scanned again until none is left, so `down` leaves nothing running. Without such a
 * run this costs nothing.
 */
async function stopEscapedRuns(workspace: Workspace, stopped: ReadonlySet<string>): Promise<void> {
  const { findMarkedRuns, runsLeftAlone } = await import('../../state/adopt.js');
  let runs = runsLeftAlone(workspace.ctx.stateDir).filter((run) => stopped.has(run.service));
  if (runs.length === 0) return;
  const { stopProcessGroup } = await import('../../providers/process/stop.js');
  for (let round = 0; round < MAX_ESCAPED_ROUNDS && runs.length > 0; round += 1) {
    for (const run of runs) {
      const stop = workspace.desired.services.find((service) => service.name === run.service)?.stop ?? DEFAULT_STOP;
      const outcome = await stopProcessGroup({ pid: run.pid, startTicks: run.startTicks }, stop);
      if (outcome.kind === 'stopped') streams.stderr.write(`note: ${run.service}: also stopped pid ${run.pid}, which had left the service's process group\n`);
    }
    runs = [...(await findMarkedRuns(workspace.ctx.stateDir)).values()].filter((run) => stopped.has(run.service));
  }
}

/** One marked run per service is found per scan; a service that left more is scanned for again, within reason. */
const MAX_ESCAPED_ROUNDS = 8;
