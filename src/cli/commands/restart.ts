import { askController, clearGiveUps, digestServiceFiles, findController, lockStack, observe, readApplied, type LockOwner, type Workspace } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { Plan } from '../../model/plan.js';
import { planRestart, restartable, restartOrder, restartRolls } from '../../reconcile/plan-restart.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { open, serviceNamesOf, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { runPlan, runThroughController } from '../run-plan.js';
import { throughController } from '../through-controller.js';
import type { ApiAbility, ApiClient, RunLine } from '../../api/connect.js';

interface RestartOptions extends GlobalOptions {
  parallel?: string;
  waitLock?: boolean;
  rolling?: boolean;
}

const NOTHING_RUNS = 'Nothing to restart: no service is running.\n';

/**
 * Stop then start, now; clears a crash-loop give-up. No names: every service that runs (or
 * crashed). `--rolling`: one at a time. Goes through a running controller if there is one.
 */
export async function run(options: RestartOptions, written: string[]): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const workspace = await open(options);
  const applied = await readApplied(workspace);
  const names = serviceNamesOf(workspace.desired, applied, written);
  const disabled = names.filter((name) => !workspace.desired.services.find((service) => service.name === name)?.enabled);
  if (disabled.length > 0) {
    throw new StackError(ExitCode.actionFailed, `cannot restart ${disabled.join(', ')}: disabled or not in stack.yaml`, { hint: 'enable it in stack.yaml (or `stack enable`) first' });
  }

  const carried = await throughController(options, (api) => restartThrough(api, names, options), 'handing the restart over as a request file');
  if (carried !== undefined) return carried;
  // A controller without an API (an older one, or one that does not answer) takes requests as files.
  const controller = await findController(workspace);
  const handed = controller ? await handOver(workspace, controller, names, options.rolling === true) : names;
  if (typeof handed === 'number') return handed;

  const lock = await lockStack(workspace, { command: 'stack restart', wait: options.waitLock, onWait: waitingForLock });
  try {
    // As a plan does: a spec recorded without its files (a task's inputs, a plugin's folder) would read as changed.
    await digestServiceFiles(workspace);
    const current = await readApplied(workspace);
    const observed = await observe(workspace, current);
    const chosen = handed.length > 0 ? handed : restartable(workspace.desired, observed);
    if (chosen.length === 0) {
      streams.stdout.write(NOTHING_RUNS);
      return ExitCode.ok;
    }
    await clearGiveUps(workspace, chosen);
    const plan = planRestart(workspace.desired, observed, chosen, { rolling: options.rolling });
    streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
    return await runPlan(workspace, { plan, observed, applied: current }, { ...options, yes: true, parallel, verb: 'Restart', question: '' });
  } finally {
    await lock.release();
  }
}

/** The controller restarts them; its plan and progress are told as a restart here tells them. */
async function restartThrough(api: ApiClient, names: string[], options: RestartOptions): Promise<number> {
  const rolling = options.rolling === true;
  await needAbilities(api, [...(names.length === 0 ? ['restart-all' as const] : []), ...(rolling ? ['restart-rolling' as const] : [])]);
  const onLine = (line: RunLine) => {
    if (line.type === 'plan') streams.stdout.write(renderRestartPlan(line.saved.plan, options));
  };
  const request = { services: names, ...(rolling ? { rolling } : {}) };
  return runThroughController((line, signal) => api.verb('restart', request, { onLine: line, signal }), { ...options, verb: 'Restart', onLine });
}

/**
 * An older controller refuses a restart with no names and would read `rolling` as a plain
 * restart: what the request needs is asked first (`controller.can`, docs/api.md) and refused here.
 */
async function needAbilities(api: ApiClient, needed: ApiAbility[]): Promise<void> {
  if (needed.length === 0) return;
  const { controller } = await api.status();
  const missing = needed.filter((ability) => !controller.can?.includes(ability));
  if (missing.length === 0) return;
  const what = missing.map((ability) => (ability === 'restart-all' ? 'restart without names' : 'restart --rolling')).join(' or ');
  throw new StackError(ExitCode.actionFailed, `the running controller (pid ${controller.pid}) is older than this stack and cannot ${what}`, {
    hint: 'name the services (without --rolling), or restart the controller with this stack (`stack down`, then `stack up`)',
  });
}

/**
 * A controller's request files name their services (an older controller reads none as nothing):
 * the names are found here, and a rolling restart is one request a service, in dependency order.
 * Resolves with the exit code, or with the names left for this process to restart under the lock
 * (a controller that stayed stopped was killed).
 */
async function handOver(workspace: Workspace, controller: LockOwner, names: string[], rolling: boolean): Promise<number | string[]> {
  const chosen = names.length > 0 ? restartOrder(workspace.desired, names) : restartable(workspace.desired, await observe(workspace, await readApplied(workspace)));
  if (chosen.length === 0) {
    streams.stdout.write(NOTHING_RUNS);
    return ExitCode.ok;
  }
  streams.stderr.write(`handing the restart to the controller (pid ${controller.pid})\n`);
  const batches = restartRolls(workspace.desired, chosen, { rolling }) ? chosen.map((name) => [name]) : [chosen];
  for (const [index, batch] of batches.entries()) {
    const response = await askController(workspace, controller, { op: 'restart', services: batch }, (line) => streams.stderr.write(`${line}\n`));
    if (!response) return batches.slice(index).flat();
    for (const line of response.lines) streams.stdout.write(`${line}\n`);
    if (!response.ok) return ExitCode.actionFailed;
  }
  return ExitCode.ok;
}

function renderRestartPlan(plan: Plan, options: RestartOptions): string {
  return plan.actions.length === 0 ? NOTHING_RUNS : renderPlanHuman(plan, { color: useColor(options) });
}
