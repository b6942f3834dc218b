import { basename } from 'node:path';
import { observe, readApplied } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { planRestart } from '../../reconcile/plan-restart.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { withoutGiveUp } from '../../state/give-up.js';
import { acquireLock, isController, lockHolder } from '../../state/lock.js';
import { guardStoppedController, longestStopTimeout } from '../stopped-controller.js';
import { monotonicMs } from '../../os/monotonic.js';
import { submitRequest } from '../../engine/supervise/requests.js';
import { checkServiceNames, open, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';

interface RestartOptions extends GlobalOptions {
  parallel?: string;
  waitLock?: boolean;
}

/** Stop then start, now; clears a crash-loop give-up. Goes through a running controller if there is one. */
export async function run(options: RestartOptions, names: string[]): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const workspace = await open(options);
  const applied = await readApplied(workspace);
  checkServiceNames(workspace.desired, applied, names);
  const disabled = names.filter((name) => !workspace.desired.services.find((service) => service.name === name)?.enabled);
  if (disabled.length > 0) {
    throw new StackError(ExitCode.actionFailed, `cannot restart ${disabled.join(', ')}: disabled or not in stack.yaml`, { hint: 'enable it in stack.yaml (or `stack enable`) first' });
  }

  const holder = await lockHolder(workspace.paths.lockFile);
  if (holder && isController(holder)) {
    streams.stderr.write(`handing the restart to the controller (pid ${holder.pid})\n`);
    const guard = guardStoppedController(holder, { stopTimeoutMs: longestStopTimeout(workspace.desired), waitingFor: 'answer', say: (line) => streams.stderr.write(`${line}\n`) });
    guard.check();
    try {
      const response = await submitRequest(workspace.paths.dir, { op: 'restart', services: names }, {
        timeoutMs: 10 * 60_000,
        isAlive: async () => guard.check() && (await lockHolder(workspace.paths.lockFile))?.pid === holder.pid,
      });
      for (const line of response.lines) streams.stdout.write(`${line}\n`);
      return response.ok ? ExitCode.ok : ExitCode.actionFailed;
    } catch (error) {
      // A controller that stayed stopped was killed: the restart is done here, under its lock.
      if (!guard.killed) throw error;
      const gone = monotonicMs() + 5000;
      while ((await lockHolder(workspace.paths.lockFile))?.pid === holder.pid && monotonicMs() < gone) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const lock = await acquireLock(workspace.paths.lockFile, { command: 'stack restart', wait: options.waitLock, onWait: waitingForLock });
  try {
    const current = await readApplied(workspace);
    const { StateStore } = await import('../../state/state-store.js');
    const state = await StateStore.open(workspace.paths.stateFile, workspace.desired.project, basename(workspace.desired.file));
    for (const name of names) await state.update(name, withoutGiveUp);
    const observed = await observe(workspace, current);
    const plan = planRestart(workspace.desired, observed, names);
    streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
    return await runPlan(workspace, { plan, observed, applied: current }, { ...options, yes: true, parallel, verb: 'Restart', question: '' });
  } finally {
    await lock.release();
  }
}
