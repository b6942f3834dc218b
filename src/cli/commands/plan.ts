import { plan, readApplied } from '../../api.js';
import { ExitCode } from '../../errors.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';

interface PlanOptions extends GlobalOptions {
  detailedExitcode?: boolean;
  target?: string[];
}

export async function run(options: PlanOptions): Promise<number> {
  const workspace = await open(options);
  if (options.target) checkServiceNames(workspace.desired, await readApplied(workspace), options.target);
  const result = await plan(workspace, { targets: options.target });
  if (options.json) {
    streams.stdout.write(renderPlanJson(result.plan));
  } else {
    const notice = await controllerNotice(workspace);
    if (notice) streams.stderr.write(`${notice}\n`);
    streams.stdout.write(renderPlanHuman(result.plan, { color: useColor(options) }));
  }
  if (!options.detailedExitcode) return ExitCode.ok;
  return result.plan.actions.length > 0 || result.plan.blocked.length > 0 ? ExitCode.changesPending : ExitCode.ok;
}
