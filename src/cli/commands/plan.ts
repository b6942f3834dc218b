import { plan, readApplied } from '../../api.js';
import { ExitCode } from '../../model/errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { renderPlanMarkdown } from '../../reconcile/render-markdown.js';
import { createSavedPlan } from '../../reconcile/saved-plan.js';
import { checkServiceNames, open, parseOutputFormat, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';
import { hashFile, writePlanFile } from '../../api.js';

interface PlanOptions extends GlobalOptions {
  detailedExitcode?: boolean;
  target?: string[];
  format?: string;
  out?: string;
}

export async function run(options: PlanOptions): Promise<number> {
  const format = parseOutputFormat(options);
  const workspace = await open(options);
  if (options.target) checkServiceNames(workspace.desired, await readApplied(workspace), options.target);
  // Hashed before planning: if the file changes while stack observes, the saved plan is stale, never wrongly fresh.
  const stackHash = options.out === undefined ? undefined : await hashFile(workspace.desired.file);
  const result = await plan(workspace, { targets: options.target });
  if (format === 'json') {
    streams.stdout.write(renderPlanJson(result.plan));
  } else if (format === 'markdown') {
    streams.stdout.write(renderPlanMarkdown(result.plan));
  } else {
    const notice = await controllerNotice(workspace);
    if (notice) streams.stderr.write(`${notice}\n`);
    streams.stdout.write(renderPlanHuman(result.plan, { color: useColor(options) }));
  }
  if (options.out !== undefined && stackHash !== undefined) {
    await writePlanFile(options.out, createSavedPlan(result.plan, { desired: workspace.desired, stackHash, observed: result.observed, applied: result.applied }));
    streams.stderr.write(`Saved the plan to ${options.out}; \`stack apply ${options.out}\` carries out exactly this plan.\n`);
  }
  if (!options.detailedExitcode) return ExitCode.ok;
  return result.plan.actions.length > 0 || result.plan.blocked.length > 0 ? ExitCode.changesPending : ExitCode.ok;
}
