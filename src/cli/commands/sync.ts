import { relative } from 'node:path';
import { describeOwner, findController, findStack, lockStack, openWorkspace, plan, syncOnce, type SyncOutcome, type SyncSettings } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { parseDuration, waitForSignal } from '../controller-cli.js';
import { streams, useColor, verboseWriter, type GlobalOptions } from '../context.js';
import { formatError } from '../report-error.js';
import { runPlan } from '../run-plan.js';

interface SyncOptions extends GlobalOptions {
  remote?: string;
  branch?: string;
  interval?: string;
  once?: boolean;
}

/** How long a pass waits for a one-shot `stack apply` to let go of the lock. */
const LOCK_WAIT_MS = 2 * 60_000;

/**
 * `stack sync`: follow a branch of a remote. Each pass fetches, fast-forwards (or refuses and
 * says why) and, when a pull touched stack.yaml or a file it reads, reconciles the whole stack
 * without asking. A reconcile that could not run is retried on the next pass.
 */
export async function run(options: SyncOptions): Promise<number> {
  const settings: SyncSettings = {
    file: findStack({ file: options.file }),
    remote: checkName(options.remote ?? 'origin', '--remote'),
    branch: checkName(options.branch ?? 'main', '--branch'),
    verbose: verboseWriter(options),
  };
  if (options.once) return syncPass(settings, options, { pending: false });
  const intervalMs = parseDuration(options.interval ?? '60s', '--interval');
  const stopped = new AbortController();
  void waitForSignal().then(() => stopped.abort());
  const memory = { pending: false };
  streams.stderr.write(`Following ${settings.remote}/${settings.branch} every ${options.interval ?? '60s'} (Ctrl+C stops).\n`);
  while (!stopped.signal.aborted) {
    try {
      await syncPass(settings, options, memory);
    } catch (error) {
      // One failed pass (the network is down) must not end the loop.
      streams.stderr.write(error instanceof StackError ? formatError(error) : `error: ${String(error)}\n`);
    }
    await pause(intervalMs, stopped.signal);
  }
  return ExitCode.ok;
}

/** One pass; `memory.pending` carries a reconcile that failed over to the next pass. */
async function syncPass(settings: SyncSettings, options: SyncOptions, memory: { pending: boolean }): Promise<number> {
  const outcome = await syncOnce(settings);
  if (outcome.kind === 'refused') {
    streams.stderr.write(`error: ${describeOutcome(outcome, settings)}\nhint: ${outcome.hint}\n`);
    return ExitCode.actionFailed;
  }
  streams.stdout.write(`${describeOutcome(outcome, settings)}\n`);
  const touched = outcome.kind === 'fast-forwarded' ? outcome.stackFiles : [];
  if (touched.length > 0) {
    const names = touched.map((path) => relative(process.cwd(), path) || path);
    streams.stdout.write(`The stack changed (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}): reconciling.\n`);
  } else if (memory.pending) {
    streams.stdout.write('Retrying the reconcile that did not finish last time.\n');
  } else {
    if (outcome.kind === 'fast-forwarded') streams.stdout.write('No file of the stack changed: nothing to reconcile.\n');
    return ExitCode.ok;
  }
  memory.pending = true;
  const code = await reconcile(settings, options);
  memory.pending = code !== ExitCode.ok;
  return code;
}

/** Applies the whole stack without asking; with a controller running, leaves it to the controller. */
async function reconcile(settings: SyncSettings, options: SyncOptions): Promise<number> {
  const workspace = await openWorkspace({ file: settings.file, verbose: settings.verbose });
  const controller = await findController(workspace);
  if (controller) {
    streams.stdout.write(`${describeOwner(controller)} is reconciling this stack; it picks up the new files by itself.\n`);
    return ExitCode.ok;
  }
  const lock = await lockStack(workspace, { command: 'stack sync', wait: true, signal: AbortSignal.timeout(LOCK_WAIT_MS) }).catch((error: unknown) => {
    if (error instanceof StackError) throw error;
    throw new StackError(ExitCode.locked, `another stack process held the lock for over ${LOCK_WAIT_MS / 60_000} minutes; the reconcile waits for the next pass`);
  });
  try {
    if (lock.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const planned = await plan(workspace);
    streams.stdout.write(renderPlanHuman(planned.plan, { color: useColor(options) }));
    return await runPlan(workspace, planned, { ...options, yes: true, parallel: 4, verb: 'Sync', question: '' });
  } finally {
    await lock.release();
  }
}

function describeOutcome(outcome: SyncOutcome, settings: SyncSettings): string {
  const followed = `${settings.remote}/${settings.branch}`;
  switch (outcome.kind) {
    case 'up-to-date':
      return `${settings.branch} is up to date with ${followed} (${outcome.commit.slice(0, 7)}).`;
    case 'ahead':
      return `${settings.branch} is ${plural(outcome.commits, 'commit')} ahead of ${followed}: nothing to pull (sync never pushes).`;
    case 'fast-forwarded':
      return `Fast-forwarded ${settings.branch} from ${outcome.from.slice(0, 7)} to ${outcome.to.slice(0, 7)} (${plural(outcome.commits, 'commit')} from ${followed}).`;
    case 'refused':
      return `refusing to sync: ${outcome.reason}`;
  }
}

// A name starting with `-` would reach git as an option.
function checkName(value: string, flag: string): string {
  if (value === '' || value.startsWith('-') || /\s/.test(value)) throw new StackError(ExitCode.actionFailed, `${flag} takes a git name, got "${value}"`);
  return value;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
