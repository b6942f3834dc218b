import { relative } from 'node:path';
import { describeOwner, lockStack, openWorkspace, plan, preparePluginService } from '../../api.js';
import { addServiceText } from '../../config/edit-stack.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { open, streams, useColor, type GlobalOptions } from '../context.js';
import { runPlan } from '../run-plan.js';
import { editStackFile } from '../../api.js';
import { escapeControls } from '../../config/issues.js';

interface AddOptions extends GlobalOptions {
  name?: string;
  stopped?: boolean;
}

/**
 * `stack add <folder | git-url[#ref]>`: declares a plugin service in stack.yaml (a git source is
 * cloned into plugins/<name> and pinned to its commit), then applies it: install, and start
 * unless --stopped.
 */
export async function run(options: AddOptions, args: string[]): Promise<number> {
  const [source = ''] = args;
  const workspace = await open(options);
  const { root, file } = workspace.desired;
  const taken = new Set(workspace.desired.services.map((service) => service.name));
  const lock = await lockStack(workspace, { command: 'stack add' });
  try {
    if (lock.tookOverFrom) streams.stderr.write(`note: took over the lock of ${describeOwner(lock.tookOverFrom)}, which is no longer running\n`);
    const added = await preparePluginService(source, root, taken, { name: options.name, stopped: options.stopped });
    await editStackFile(file, (text) => addServiceText(text, added.name, added.entry));
    streams.stdout.write(`Added ${added.name} to ${escapeControls(relative(process.cwd(), file) || file)}${added.pinned ? ` (pinned to ${added.pinned.slice(0, 12)})` : ''}.\n`);
    const reopened = await openWorkspace({ file, verbose: workspace.ctx.verbose });
    const planned = await plan(reopened, { targets: [added.name] });
    streams.stdout.write(renderPlanHuman(planned.plan, { color: useColor(options) }));
    return await runPlan(reopened, planned, { ...options, yes: true, parallel: 4, verb: 'Add', question: '' });
  } finally {
    await lock.release();
  }
}
