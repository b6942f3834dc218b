import { relative } from 'node:path';
import { commitFile, describeOwner, findController, lockStack, openWorkspace, plan, prepareCommit } from '../../api.js';
import { dependentsOf } from '../../config/graph.js';
import type { DesiredService } from '../../model/desired.js';
import { applyVerbEdit, describeVerbEdit, isEditVerb, type EditVerb, type VerbEditResult } from '../../config/verb-edits.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { checkServiceNames, open, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';
import { editStackFile } from '../../api.js';
import { escapeControls } from '../../config/issues.js';

interface EditVerbOptions extends GlobalOptions {
  /** False with --no-apply. */
  apply?: boolean;
  commit?: boolean;
  message?: string;
  force?: boolean;
  yes?: boolean;
  parallel?: string;
  waitLock?: boolean;
}

/**
 * `stack start|stop|enable|disable <service...>`: writes the wish into stack.yaml (every other
 * byte kept), commits it with --commit, then applies those services without asking: the verb is
 * the confirmation. With a controller (`stack watch`, `stack up`) holding the lock the file is
 * only edited: the controller sees the change and reconciles it by itself.
 */
export async function run(options: EditVerbOptions, names: string[], verb: string): Promise<number> {
  if (!isEditVerb(verb)) throw new StackError(ExitCode.actionFailed, `unknown verb "${verb}"`);
  const parallel = parseParallel(options.parallel);
  const workspace = await open(options);
  checkServiceNames(workspace.desired, new Map(), names);
  const { file } = workspace.desired;
  const shown = relative(process.cwd(), file) || file;
  // Checked before anything is written: a refusal must leave the file as it was.
  const commitTarget = options.commit ? await prepareCommit(file, { force: options.force, verbose: workspace.ctx.verbose }) : undefined;
  const controller = options.apply === false ? undefined : await findController(workspace);
  const lock = options.apply === false || controller ? undefined : await lockStack(workspace, { command: `stack ${verb}`, wait: options.waitLock, onWait: waitingForLock });
  try {
    if (lock?.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    let result: VerbEditResult = { text: '', edited: [], already: [] };
    await editStackFile(file, (text) => (result = applyVerbEdit(text, verb, names)).text);
    reportEdit(verb, result, shown);
    warnDisabled(verb, names, workspace.desired.services);
    warnDependents(verb, names, workspace.desired.services);

    if (commitTarget && result.edited.length > 0) {
      const message = options.message ?? `stack: ${verb} ${names.join(' ')}`;
      const commit = await commitFile(commitTarget, message);
      streams.stdout.write(`Committed ${escapeControls(commitTarget.path)} as ${commit.slice(0, 7)}: ${message}\n`);
    } else if (commitTarget) {
      streams.stdout.write('Nothing to commit: stack.yaml already said so.\n');
    }

    if (options.apply === false) return ExitCode.ok;
    if (controller) {
      streams.stdout.write(`${describeOwner(controller)} is reconciling this stack; it applies the change by itself.\n`);
      return ExitCode.ok;
    }
    const reopened = await openWorkspace({ file, verbose: workspace.ctx.verbose });
    const planned = await plan(reopened, { targets: names });
    if (planned.plan.actions.length > 0 || planned.plan.blocked.length > 0) {
      streams.stdout.write(renderPlanHuman(planned.plan, { color: useColor(options) }));
    }
    const title = `${verb[0]?.toUpperCase()}${verb.slice(1)}`;
    return await runPlan(reopened, planned, { ...options, yes: true, parallel, verb: title, question: '' });
  } finally {
    await lock?.release();
  }
}

function reportEdit(verb: EditVerb, result: VerbEditResult, shown: string): void {
  const line = describeVerbEdit(verb);
  if (result.edited.length > 0) streams.stdout.write(`Set ${line} for ${result.edited.join(', ')} in ${shown}.\n`);
  if (result.already.length > 0) streams.stdout.write(`${result.already.join(', ')}: already ${line} in ${shown}.\n`);
}

// `stack stop db` stops what depends on db too, with a controller or without (it cannot run
// without it), though the file still declares those running; `stack start db` starts them again.
function warnDependents(verb: EditVerb, names: readonly string[], services: readonly DesiredService[]): void {
  if (verb !== 'stop' && verb !== 'disable') return;
  const stopped = new Set(names);
  const going = dependentsOf(services.filter((service) => (service.enabled && service.state === 'running') || stopped.has(service.name)), stopped);
  const undo = verb === 'stop' ? 'start' : 'enable';
  for (const dependent of services.filter((service) => going.has(service.name))) {
    const dep = dependent.dependsOn.find((name) => stopped.has(name) || going.has(name)) as string;
    streams.stderr.write(`note: ${dependent.name} depends on ${dep}: it stops with ${dep} and starts again with \`stack ${undo} ${names.join(' ')}\` (\`stack stop ${dependent.name}\` keeps it stopped)\n`);
  }
}

// `stack start web` on a disabled service edits `state` but cannot run it: say what would.
function warnDisabled(verb: EditVerb, names: readonly string[], services: readonly { name: string; enabled: boolean }[]): void {
  if (verb !== 'start') return;
  const disabled = names.filter((name) => services.find((service) => service.name === name)?.enabled === false);
  if (disabled.length > 0) {
    streams.stderr.write(`note: ${disabled.join(', ')} ${disabled.length === 1 ? 'is' : 'are'} disabled (enabled: false); \`stack enable ${disabled.join(' ')}\` runs ${disabled.length === 1 ? 'it' : 'them'}\n`);
  }
}
