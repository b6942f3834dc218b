import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describeOwner, lockStack, openWorkspace, plan, readApplied } from '../../api.js';
import { removeServiceText, setServiceKeyText } from '../../config/edit-stack.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { checkWrittenNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';
import { editStackFile } from '../../api.js';
import { escapeControls } from '../../config/issues.js';
import { expandReplicaNames } from '../../config/replicas.js';

interface RemoveOptions extends GlobalOptions {
  purge?: boolean;
}

/**
 * `stack remove <service> [--purge]`: sets `enabled: false` and applies (stop, uninstall). With
 * --purge, once that succeeded, the entry leaves stack.yaml and a clone `stack add` made is deleted.
 */
export async function run(options: RemoveOptions, args: string[]): Promise<number> {
  const [name = ''] = args;
  const workspace = await open(options);
  checkWrittenNames(workspace.desired, [name]);
  const { file, root } = workspace.desired;
  const service = workspace.desired.services.find((candidate) => candidate.name === name);
  const dependents = workspace.desired.services.filter((other) => other.enabled && other.dependsOn.includes(name)).map((other) => other.name);
  if (options.purge && dependents.length > 0) {
    throw new StackError(ExitCode.invalidConfig, `cannot purge ${name}: ${dependents.join(', ')} depend${dependents.length === 1 ? 's' : ''} on it`);
  }
  const lock = await lockStack(workspace, { command: 'stack remove' });
  try {
    if (lock.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    await editStackFile(file, (text) => setServiceKeyText(text, name, 'enabled', false));
    const reopened = await openWorkspace({ file, verbose: workspace.ctx.verbose });
    // A service with replicas: each of them.
    const meant = expandReplicaNames(reopened.desired.services.map((service) => service.name), [name]);
    const planned = await plan(reopened, { targets: meant });
    if (planned.plan.actions.length > 0) streams.stdout.write(renderPlanHuman(planned.plan, { color: useColor(options) }));
    const code = await runPlan(reopened, planned, { ...options, yes: true, parallel: 4, verb: 'Remove', question: '' });
    if (code !== ExitCode.ok || !options.purge) return code;
    const applied = await readApplied(reopened);
    if (meant.some((each) => applied.has(each))) {
      throw new StackError(ExitCode.actionFailed, `${name} is still recorded as installed; not purging it`);
    }
    await editStackFile(file, (text) => removeServiceText(text, name));
    const clone = service?.plugin?.source !== undefined ? service.plugin.dir : undefined;
    if (clone !== undefined && clone.startsWith(join(root, 'plugins') + '/')) await rm(clone, { recursive: true, force: true });
    streams.stdout.write(`Purged ${name} from ${escapeControls(relative(process.cwd(), file) || file)}${clone ? ` and deleted ${escapeControls(relative(root, clone))}` : ''}.\n`);
    return ExitCode.ok;
  } finally {
    await lock.release();
  }
}
