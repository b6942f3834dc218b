import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { commitFile, describeOwner, editStackFile, findController, lockStack, prepareCommit, type CommitTarget, type Workspace } from '../../api.js';
import { findUpdates, openForUpdate, pinsOf, planUpdateOf, shortId, type UpdatesFound } from '../../api/update.js';
import { escapeControls } from '../../config/issues.js';
import { pinCommits, type Pin } from '../../config/update-edits.js';
import { ExitCode } from '../../model/errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { confirm } from '../confirm.js';
import { checkServiceNames, parseParallel, streams, useColor, verboseWriter, waitingForLock, warnAbout, type GlobalOptions } from '../context.js';
import { runPlan, runThroughController } from '../run-plan.js';
import { throughController } from '../through-controller.js';

interface UpdateOptions extends GlobalOptions {
  dryRun?: boolean;
  yes?: boolean;
  commit?: boolean;
  message?: string;
  force?: boolean;
  parallel?: string;
  waitLock?: boolean;
}

/**
 * `stack update [service…]`: pulls the compose services' images and finds each git plugin's
 * newest commit of its ref; says what is newer, then shows the plan that takes it in (the pins
 * moved in stack.yaml, the services whose image changed restarted) and, once confirmed, writes
 * the pins (committing them with --commit) and applies. --dry-run pulls nothing and changes nothing.
 */
export async function run(options: UpdateOptions, names: string[]): Promise<number> {
  const parallel = parseParallel(options.parallel);
  const workspace = await openForUpdate({ file: options.file, verbose: verboseWriter(options) });
  warnAbout(workspace.desired);
  checkServiceNames(workspace.desired, new Map(), names);
  if (options.dryRun) {
    const found = await findUpdates(workspace, names, { fetch: false });
    reportNewer(found);
    for (const note of found.notes) streams.stderr.write(`note: ${note}\n`);
    return ExitCode.ok;
  }
  const { file } = workspace.desired;
  // Checked before anything is pulled or written: a refusal leaves everything as it was.
  const commitTarget = options.commit ? await prepareCommit(file, { force: options.force, verbose: workspace.ctx.verbose }) : undefined;
  const controller = await findController(workspace);
  if (controller) return updateUnderController(workspace, names, commitTarget, options, describeOwner(controller));
  const lock = await lockStack(workspace, { command: 'stack update', wait: options.waitLock, onWait: waitingForLock });
  try {
    if (lock.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const found = await findUpdates(workspace, names, { fetch: true });
    if (!reportNewer(found)) return ExitCode.ok;
    const update = await planUpdateOf(workspace, await readFile(file, 'utf8'), found);
    streams.stdout.write(renderPlanHuman(update.plan, { color: useColor(options) }));
    if (!(await confirm('Take these updates in?', options))) {
      streams.stderr.write(`Nothing done${found.newer.some((each) => each.kind === 'image') ? ' (the images pulled stay on this machine; `stack update` finds them again)' : ''}.\n`);
      return ExitCode.actionFailed;
    }
    await writePins(workspace, pinsOf(found.newer), commitTarget, options);
    return await runPlan(update.workspace, update, { ...options, yes: true, parallel, verb: 'Update', question: '' });
  } finally {
    await lock.release();
  }
}

/**
 * A controller runs this stack (`stack watch`, `stack up`): it takes the new pins in by itself
 * once stack.yaml changes, so only the file is written here; services whose image changed are
 * restarted through its API. Asked first, since nothing can be shown of a plan it makes itself.
 */
async function updateUnderController(workspace: Workspace, names: string[], commitTarget: CommitTarget | undefined, options: UpdateOptions, owner: string): Promise<number> {
  const found = await findUpdates(workspace, names, { fetch: true });
  if (!reportNewer(found)) return ExitCode.ok;
  streams.stdout.write(`${owner} is reconciling this stack: it applies the new pins itself; services whose image changed are restarted through it.\n`);
  if (!(await confirm('Take these updates in?', options))) {
    streams.stderr.write('Nothing done.\n');
    return ExitCode.actionFailed;
  }
  await writePins(workspace, pinsOf(found.newer), commitTarget, options);
  const restarts = [...new Set(found.newer.filter((each) => each.kind === 'image').map((each) => each.service))];
  if (restarts.length === 0) return ExitCode.ok;
  const carried = await throughController(
    options,
    (api) => runThroughController((line, signal) => api.verb('restart', { services: restarts }, { onLine: line, signal }), { ...options, verb: 'Update' }),
    'not restarting',
  );
  if (carried !== undefined) return carried;
  streams.stderr.write(`note: the controller takes no requests on its API: run \`stack restart ${restarts.join(' ')}\` to run the new images\n`);
  return ExitCode.ok;
}

/** What is newer, one line each; false when nothing is. Warnings (a failed pull) on stderr. */
function reportNewer(found: UpdatesFound): boolean {
  for (const warning of found.warnings) streams.stderr.write(`warning: ${warning}\n`);
  if (found.newer.length === 0) {
    streams.stdout.write('Everything is up to date.\n');
    return false;
  }
  streams.stdout.write('Newer:\n');
  for (const each of found.newer) {
    const what = each.kind === 'plugin' ? `plugin ${escapeControls(each.what)}` : `image ${escapeControls(each.what)}`;
    streams.stdout.write(`  ${each.service}: ${what}: ${each.from === undefined ? 'not pinned' : shortId(each.from)} → ${shortId(each.to)}\n`);
  }
  return true;
}

async function writePins(workspace: Workspace, pins: readonly Pin[], commitTarget: CommitTarget | undefined, options: UpdateOptions): Promise<void> {
  if (pins.length === 0) return;
  const { file } = workspace.desired;
  await editStackFile(file, (text) => pinCommits(text, pins));
  const shown = escapeControls(relative(process.cwd(), file) || file);
  streams.stdout.write(`Pinned ${pins.map((pin) => `${pin.service} to ${pin.commit.slice(0, 12)}`).join(', ')} in ${shown}.\n`);
  if (!commitTarget) return;
  const message = options.message ?? `stack: update ${pins.map((pin) => `${pin.service} to ${pin.commit.slice(0, 12)}`).join(', ')}`;
  const hash = await commitFile(commitTarget, message);
  streams.stdout.write(`Committed ${escapeControls(commitTarget.path)} as ${hash.slice(0, 7)}: ${message}\n`);
}
