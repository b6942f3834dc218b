import {
  describeOwner,
  escapedRuns,
  findController,
  findStack,
  forgetGiveUps,
  isUnwritable,
  lockStack,
  MAX_ESCAPED_ROUNDS,
  observe,
  readApplied,
  readAppliedScanned,
  recordedWorkspace,
  recordEndedRunsStopped,
  stopController,
  stopEscapedRuns as stopRuns,
  viewServices,
  type LockOwner,
  type MarkedRun,
  type Workspace,
} from '../../api.js';
import { relativePath } from '../../config/paths.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { planDown } from '../../reconcile/plan-down.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import type { Applied } from '../../model/observed.js';
import type { Plan } from '../../model/plan.js';
import { checkServiceNames, open, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { confirm } from '../confirm.js';
import { formatError } from '../report-error.js';
import { runPlan, writeRunJson } from '../run-plan.js';
import { throughController } from '../through-controller.js';
import { escapeControls } from '../../config/issues.js';
import { expandReplicaNames } from '../../config/replicas.js';

interface DownOptions extends GlobalOptions {
  yes?: boolean;
  parallel?: string;
  waitLock?: boolean;
}

export async function run(options: DownOptions, written: string[]): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const workspace = await openEvenIfInvalid(options);
  // `web` means each of its replicas, those stack.yaml declares and those still recorded.
  const names = written.length === 0 ? written : expandReplicaNames([...workspace.desired.services.map((service) => service.name), ...(await readApplied(workspace)).keys()], written);
  const controller = await findController(workspace);
  // Nothing changes before the names are known good and the controller's end was agreed to.
  if (controller && !(await agreeToStopController(workspace, controller, names, options))) {
    streams.stderr.write('Nothing done.\n');
    return ExitCode.actionFailed;
  }
  if (controller) {
    streams.stderr.write(`stopping the controller: ${describeOwner(controller)}\n`);
    // Asked through its API when it answers there; otherwise with SIGTERM. Either way, down waits for its lock.
    const asked = await throughController(options, (api) => api.stop().then(() => true), 'stopping it with SIGTERM');
    await stopController(workspace, controller, (line) => streams.stderr.write(`${line}\n`), { asked: asked === true });
  }
  // One question: agreeing to stop the controller was agreeing to the down it showed.
  const answered = controller ? { ...options, yes: true } : options;
  const lock = await lockStack(workspace, { command: 'stack down', wait: options.waitLock, onWait: waitingForLock }).catch((error: unknown) => {
    // A full disk or a read-only .stack must not keep services running: they are stopped
    // without the lock (which could not be written either), and what was not recorded is said.
    if (!isUnwritable(error)) throw error;
    streams.stderr.write(`warning: ${(error as Error).message}; stopping the services without it\n`);
    return { tookOverFrom: undefined, release: () => Promise.resolve() };
  });
  try {
    if (lock.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const { applied, leftAlone } = await readAppliedScanned(workspace);
    checkServiceNames(workspace.desired, applied, names);
    const observed = await observe(workspace, applied);
    const plan = planDown(workspace.desired, observed, applied, names);
    // Whose escaped processes are stopped too: every recorded service, or the named ones and
    // those stopped with them. A service whose own run is gone (a launcher that daemonized and
    // exited) can still have left one.
    const swept = new Set(names.length === 0 ? applied.keys() : [...names, ...plan.actions.map((action) => action.service)]);
    const forget = () => forgetGiveUps(workspace, swept);
    if (plan.actions.length === 0) {
      const code = await stopOnlyEscaped(workspace, { applied, leftAlone, plan, names, swept }, answered);
      if (code === ExitCode.ok) {
        await recordEndedRunsStopped(workspace, { applied, observed }, swept);
        await forget();
      }
      return code;
    }
    if (!options.json && !controller) streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
    const code = await runPlan(workspace, { plan, observed, applied }, { ...answered, parallel, verb: 'Down', rotateLogs: false, question: `Stop ${plan.actions.length} service${plan.actions.length === 1 ? '' : 's'}?` });
    // Only once every stop was confirmed and done: then no main run of those services is left,
    // and those that gave up get a new chance with the next apply.
    if (code === ExitCode.ok) {
      await stopEscapedRuns(workspace, applied, leftAlone, swept);
      await recordEndedRunsStopped(workspace, { applied, observed }, swept);
      await forget();
    }
    return code;
  } finally {
    await lock.release();
  }
}

/**
 * `stack down` ends a running controller first (it would restart what we stop); that is asked
 * with the names checked first, so a typo or a "no" leaves the controller running. `stack up`
 * stops every service as it ends, so a down of some services only is refused while it runs.
 */
async function agreeToStopController(workspace: Workspace, controller: LockOwner, names: readonly string[], options: DownOptions): Promise<boolean> {
  const { applied, observed } = await viewServices(workspace);
  checkServiceNames(workspace.desired, applied, names);
  if (names.length > 0 && controller.command === 'stack up') {
    throw new StackError(ExitCode.locked, `\`stack up\` is running (${describeOwner(controller)}) and stops every service as it ends, not only ${names.join(', ')}`, {
      hint: `\`stack stop ${names.join(' ')}\` edits stack.yaml and the controller stops them; or end \`stack up\` (Ctrl+C) first`,
    });
  }
  // The plan as things are now; `stack up` stops them itself as it ends, `stack watch` leaves them to down.
  const plan = planDown(workspace.desired, observed, applied, names);
  if (!options.json) streams.stdout.write(renderPlanHuman(plan, { color: useColor(options) }));
  const after = controller.command === 'stack up' ? 'it stops every service as it ends' : 'then down stops the services';
  streams.stderr.write(`a controller is reconciling this stack: ${describeOwner(controller)}; down stops it first (${after}).\n`);
  return confirm('Stop the controller and these services?', options);
}

/**
 * No service runs. What the services left outside their groups may still (a launcher that
 * daemonized and exited): that is stopped, after the same question as stops.
 */
async function stopOnlyEscaped(
  workspace: Workspace,
  { applied, leftAlone, plan, names, swept }: { applied: Applied; leftAlone: readonly MarkedRun[]; plan: Plan; names: readonly string[]; swept: ReadonlySet<string> },
  options: DownOptions,
): Promise<number> {
  const escaped = escapedRuns(leftAlone, swept);
  if (options.json) writeRunJson(workspace, plan);
  if (escaped.length === 0) {
    if (!options.json) streams.stdout.write(names.length === 0 ? 'Nothing is running.\n' : `Nothing to stop: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not running.\n`);
    return ExitCode.ok;
  }
  const what = `${escaped.length} process${escaped.length === 1 ? '' : 'es'} that left ${[...new Set(escaped.map((run) => run.service))].join(', ')}'s process group`;
  if (!options.json) streams.stdout.write(`No service is running, but ${what} ${escaped.length === 1 ? 'is' : 'are'}.\n`);
  if (!(await confirm(`Stop ${what}?`, options))) {
    streams.stderr.write('Nothing done.\n');
    return ExitCode.actionFailed;
  }
  await stopEscapedRuns(workspace, applied, leftAlone, swept);
  return ExitCode.ok;
}

/** Stops what the stopped services left outside their groups, and says what it did. */
async function stopEscapedRuns(workspace: Workspace, applied: Applied, leftAlone: readonly MarkedRun[], stopped: ReadonlySet<string>): Promise<void> {
  const { stops, left } = await stopRuns(workspace, applied, leftAlone, stopped);
  for (const { run, error } of stops) {
    const what = `${run.service}: ${error === undefined ? 'also stopped' : 'cannot stop'} pid ${run.pid}, which had left the service's process group`;
    streams.stderr.write(error === undefined ? `note: ${what}\n` : `warning: ${what}: ${error}\n`);
  }
  if (left.length > 0) {
    streams.stderr.write(`warning: still running after ${MAX_ESCAPED_ROUNDS} rounds, left by ${[...new Set(left.map((run) => run.service))].join(', ')}: pid ${left.map((run) => run.pid).join(', ')}\n`);
  }
}

/**
 * The workspace, or, when stack.yaml does not load (a half-edited file, an unset `${VAR:?}`) but
 * the state records something, the recorded one (`recordedWorkspace`): a broken file never keeps
 * its services from stopping.
 */
async function openEvenIfInvalid(options: DownOptions): Promise<Workspace> {
  try {
    return await open(options);
  } catch (error) {
    if (!(error instanceof StackError) || error.code !== ExitCode.invalidConfig) throw error;
    const workspace = await recordedWorkspace(findStack({ file: options.file }));
    if (!workspace) throw error;
    streams.stderr.write(formatError(error).replace(/^error: /, 'warning: '));
    streams.stderr.write(`warning: stopping what ${escapeControls(relativePath(process.cwd(), workspace.paths.stateFile))} records instead: dependents first, each with the stop signal and timeout recorded when stack last acted on it\n`);
    return workspace;
  }
}
