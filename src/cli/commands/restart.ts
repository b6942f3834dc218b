import { askController, clearGiveUps, findController, lockStack, observe, readApplied } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { planRestart } from '../../reconcile/plan-restart.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { checkServiceNames, open, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { runPlan, runThroughController } from '../run-plan.js';
import { throughController } from '../through-controller.js';
import type { ApiClient, RunLine } from '../../api/connect.js';

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

  const carried = await throughController(options, (api) => restartThrough(api, names, options), 'handing the restart over as a request file');
  if (carried !== undefined) return carried;
  // A controller without an API (an older one, or one that does not answer) takes requests as files.
  const controller = await findController(workspace);
  if (controller) {
    streams.stderr.write(`handing the restart to the controller (pid ${controller.pid})\n`);
    const response = await askController(workspace, controller, { op: 'restart', services: names }, (line) => streams.stderr.write(`${line}\n`));
    // None: a controller that stayed stopped was killed; the restart is done here, under its lock.
    if (response) {
      for (const line of response.lines) streams.stdout.write(`${line}\n`);
      return response.ok ? ExitCode.ok : ExitCode.actionFailed;
    }
  }

  const lock = await lockStack(workspace, { command: 'stack restart', wait: options.waitLock, onWait: waitingForLock });
  try {
    const current = await readApplied(workspace);
    await clearGiveUps(workspace, names);
    const observed = await observe(workspace, current);
    const plan = planRestart(workspace.desired, observed, names);
    streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
    return await runPlan(workspace, { plan, observed, applied: current }, { ...options, yes: true, parallel, verb: 'Restart', question: '' });
  } finally {
    await lock.release();
  }
}

/** The controller restarts them; its plan and progress are told as a restart here tells them. */
function restartThrough(api: ApiClient, names: string[], options: RestartOptions): Promise<number> {
  const onLine = (line: RunLine) => {
    if (line.type === 'plan') streams.stdout.write(renderPlanHuman(line.saved.plan, { color: useColor(options) }));
  };
  return runThroughController((line, signal) => api.verb('restart', { services: names }, { onLine: line, signal }), { ...options, verb: 'Restart', onLine });
}
