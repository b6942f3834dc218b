import { readFile } from 'node:fs/promises';
import { basename, dirname, relative } from 'node:path';
import { observe, readApplied, type Workspace } from '../../api.js';
import { findStackFile } from '../../config/find-stack.js';
import type { Desired } from '../../config/types.js';
import { createProviderRegistry } from '../../providers/registry.js';
import { statePaths } from '../../state/paths.js';
import { formatError } from '../report-error.js';
import { DEFAULT_STOP_SPEC } from '../../config/defaults.js';
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
  const workspace = await openEvenIfInvalid(options);
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
    // Only once every stop was confirmed and done: then no main run of those services is left.
    if (code === ExitCode.ok) await stopEscapedRuns(workspace, new Set(plan.actions.filter((action) => action.op === 'stop').map((action) => action.service)));
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
 * A process that made itself a session leader (`setsid`) left its service's group, so it is not
 * stopped with the group, but it carries the service's marker. Reading the state found such
 * runs beside their services' live runs; once those services are stopped, these are stopped too,
 * and /proc is scanned again (one marked run per service per scan) until none is left. Without
 * such a run this costs nothing.
 */
async function stopEscapedRuns(workspace: Workspace, stopped: ReadonlySet<string>): Promise<void> {
  const { findMarkedRuns, runsLeftAlone } = await import('../../state/adopt.js');
  let runs = runsLeftAlone(workspace.ctx.stateDir).filter((run) => stopped.has(run.service));
  if (runs.length === 0) return;
  const { stopProcessGroup } = await import('../../providers/process/stop.js');
  const failed = new Set<number>();
  for (let round = 0; runs.length > 0; round += 1) {
    if (round === MAX_ESCAPED_ROUNDS) {
      streams.stderr.write(`warning: still running after ${round} rounds, left by ${[...new Set(runs.map((run) => run.service))].join(', ')}: pid ${runs.map((run) => run.pid).join(', ')}\n`);
      return;
    }
    await Promise.all(runs.map(async (run) => {
      const stop = workspace.desired.services.find((service) => service.name === run.service)?.stop ?? DEFAULT_STOP_SPEC;
      try {
        const outcome = await stopProcessGroup({ pid: run.pid, startTicks: run.startTicks }, stop);
        if (outcome.kind === 'stopped') streams.stderr.write(`note: ${run.service}: also stopped pid ${run.pid}, which had left the service's process group\n`);
      } catch (error) {
        failed.add(run.pid);
        streams.stderr.write(`warning: ${run.service}: cannot stop pid ${run.pid}, which had left the service's process group: ${(error as Error).message}\n`);
      }
    }));
    runs = [...(await findMarkedRuns(workspace.ctx.stateDir)).values()].filter((run) => stopped.has(run.service) && !failed.has(run.pid));
  }
}

/** Rounds of scans for what stopped services left running, within reason. */
const MAX_ESCAPED_ROUNDS = 8;

/**
 * The workspace, or, when stack.yaml does not load (a half-edited file, an unset `${VAR:?}`) but
 * `.stack/state.json` records something, one with no services: every recorded service is then
 * stopped as a service removed from the file would be, in the reverse order of its records, with
 * SIGTERM and 10 s before SIGKILL. A broken file never keeps its services from stopping.
 */
async function openEvenIfInvalid(options: DownOptions): Promise<Workspace> {
  try {
    return await open(options);
  } catch (error) {
    if (!(error instanceof StackError) || error.code !== ExitCode.invalidConfig) throw error;
    const file = findStackFile({ cwd: process.cwd(), explicit: options.file, env: process.env });
    const paths = statePaths(dirname(file));
    const recorded = await readFile(paths.stateFile, 'utf8').catch(() => undefined);
    if (recorded === undefined) throw error;
    const shown = relative(process.cwd(), paths.stateFile);
    streams.stderr.write(formatError(error).replace(/^error: /, 'warning: '));
    streams.stderr.write(`warning: stopping what ${shown.length < paths.stateFile.length ? shown : paths.stateFile} records instead, each with SIGTERM, then SIGKILL after 10s\n`);
    const desired: Desired = { version: 1, project: projectOf(recorded) ?? basename(dirname(file)), file, root: dirname(file), services: [] };
    return { desired, paths, providers: createProviderRegistry(), ctx: { root: desired.root, stateDir: paths.dir } };
  }
}

function projectOf(stateText: string): string | undefined {
  try {
    const project = (JSON.parse(stateText) as { project?: unknown }).project;
    return typeof project === 'string' ? project : undefined;
  } catch {
    return undefined;
  }
}
