import { relative } from 'node:path';
import { commitFile, describeOwner, findController, lockStack, openWorkspace, plan, prepareCommit, type Workspace } from '../../api.js';
import type { ApiClient, RunLine } from '../../api/connect.js';
import { applyVerbEdit, describeVerbEdit, isEditVerb, type EditVerb } from '../../config/verb-edits.js';
import { verbNotes } from '../../config/verb-notes.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { checkWrittenNames, open, parseParallel, streams, useColor, waitingForLock, type GlobalOptions } from '../context.js';
import { runPlan, runThroughController } from '../run-plan.js';
import { throughController } from '../through-controller.js';
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
 * the confirmation. A controller answering on its API (`stack watch`, `stack up`) does all of it;
 * one that does not (an older one, a stopped one) holds the lock: the file is only edited here and
 * the controller reconciles it by itself.
 */
export async function run(options: EditVerbOptions, names: string[], verb: string): Promise<number> {
  if (!isEditVerb(verb)) throw new StackError(ExitCode.actionFailed, `unknown verb "${verb}"`);
  const parallel = parseParallel(options.parallel);
  const workspace = await open(options);
  checkWrittenNames(workspace.desired, names);
  if (options.apply !== false) {
    const carried = await throughController(options, (api) => verbThrough(api, verb, names, workspace, options), 'editing stack.yaml here');
    if (carried !== undefined) return carried;
  }
  const { file } = workspace.desired;
  // Checked before anything is written: a refusal must leave the file as it was.
  const commitTarget = options.commit ? await prepareCommit(file, { force: options.force, verbose: workspace.ctx.verbose }) : undefined;
  const controller = options.apply === false ? undefined : await findController(workspace);
  const lock = options.apply === false || controller ? undefined : await lockStack(workspace, { command: `stack ${verb}`, wait: options.waitLock, onWait: waitingForLock });
  try {
    if (lock?.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    let result = { text: '', edited: [] as string[], already: [] as string[] };
    await editStackFile(file, (text) => (result = applyVerbEdit(text, verb, names)).text);
    reportEdit(verb, names, workspace, result, []);
    if (commitTarget) {
      const message = options.message ?? defaultMessage(verb, names);
      reportCommit({ path: commitTarget.path, hash: result.edited.length > 0 ? await commitFile(commitTarget, message) : undefined }, message);
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
    return await runPlan(reopened, planned, { ...options, yes: true, parallel, verb: titleOf(verb), question: '' });
  } finally {
    await lock?.release();
  }
}

/** The controller edits, commits and applies; its lines are told as stack tells its own. */
function verbThrough(api: ApiClient, verb: EditVerb, names: string[], workspace: Workspace, options: EditVerbOptions): Promise<number> {
  const message = options.message ?? defaultMessage(verb, names);
  const onLine = (line: RunLine) => {
    if (line.type === 'edit') {
      reportEdit(verb, names, workspace, line, line.warnings);
      if (options.commit) reportCommit({ path: relative(process.cwd(), workspace.desired.file), hash: line.commit }, message);
    } else if (line.type === 'plan' && (line.plan.actions.length > 0 || line.plan.blocked.length > 0)) {
      streams.stdout.write(renderPlanHuman(line.saved.plan, { color: useColor(options) }));
    }
  };
  const request = { services: names, commit: options.commit === true, ...(options.message === undefined ? {} : { message }), force: options.force === true };
  return runThroughController((line, signal) => api.verb(verb, request, { onLine: line, signal }), { ...options, verb: titleOf(verb), onLine });
}

/** The edit's lines, then its notes (and any the controller adds). */
function reportEdit(verb: EditVerb, names: readonly string[], workspace: Workspace, edit: { edited: string[]; already: string[] }, warnings: readonly string[]): void {
  const { file } = workspace.desired;
  const shown = relative(process.cwd(), file) || file;
  const line = describeVerbEdit(verb);
  if (edit.edited.length > 0) streams.stdout.write(`Set ${line} for ${edit.edited.join(', ')} in ${shown}.\n`);
  if (edit.already.length > 0) streams.stdout.write(`${edit.already.join(', ')}: already ${line} in ${shown}.\n`);
  const notes = verbNotes(verb, names, workspace.desired.services);
  for (const note of [...notes, ...warnings.filter((warning) => !notes.includes(warning))]) streams.stderr.write(`note: ${note}\n`);
}

/** `hash`: none when stack.yaml already said so. */
function reportCommit(commit: { path: string; hash?: string }, message: string): void {
  if (commit.hash) streams.stdout.write(`Committed ${escapeControls(commit.path)} as ${commit.hash.slice(0, 7)}: ${message}\n`);
  else streams.stdout.write('Nothing to commit: stack.yaml already said so.\n');
}

const defaultMessage = (verb: EditVerb, names: readonly string[]) => `stack: ${verb} ${names.join(' ')}`;
const titleOf = (verb: string) => `${verb[0]?.toUpperCase()}${verb.slice(1)}`;
