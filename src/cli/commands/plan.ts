import { controllerOfStack, findStack, hashFile, plan, readApplied, writePlanFile } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { Plan } from '../../model/plan.js';
import { renderPlanHuman } from '../../reconcile/render-human.js';
import { renderPlanJson } from '../../reconcile/render-json.js';
import { renderPlanMarkdown } from '../../reconcile/render-markdown.js';
import { createSavedPlan, type SavedPlan } from '../../reconcile/saved-plan.js';
import { open, serviceNamesOf, parseOutputFormat, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice, noticeFor } from '../controller-notice.js';
import { throughController } from '../through-controller.js';

interface PlanOptions extends GlobalOptions {
  detailedExitcode?: boolean;
  target?: string[];
  format?: string;
  out?: string;
}

interface Planned {
  plan: Plan;
  notice?: string;
  /** The plan as `-o` saves it (from here: only when asked for). */
  saved?: SavedPlan;
}

export async function run(options: PlanOptions): Promise<number> {
  const format = parseOutputFormat(options);
  const planned = (await fromController(options)) ?? (await planHere(options));
  if (format === 'json') {
    streams.stdout.write(renderPlanJson(planned.plan));
  } else if (format === 'markdown') {
    streams.stdout.write(renderPlanMarkdown(planned.plan));
  } else {
    if (planned.notice) streams.stderr.write(`${planned.notice}\n`);
    streams.stdout.write(renderPlanHuman(planned.plan, { color: useColor(options) }));
  }
  if (options.out !== undefined && planned.saved) {
    await writePlanFile(options.out, planned.saved);
    streams.stderr.write(`Saved the plan to ${options.out}; \`stack apply ${options.out}\` carries out exactly this plan.\n`);
  }
  if (!options.detailedExitcode) return ExitCode.ok;
  return planned.plan.actions.length > 0 || planned.plan.blocked.length > 0 ? ExitCode.changesPending : ExitCode.ok;
}

/** The controller plans from what it holds; its body carries the plan as `-o` saves it. */
async function fromController(options: PlanOptions): Promise<Planned | undefined> {
  const body = await throughController(options, (api) => api.plan(options.target), 'planning without it').catch((error: unknown) => {
    // stack.yaml does not load: planning here says why, with its line and column (exit 5), as without a controller.
    if (error instanceof StackError && error.code === ExitCode.invalidConfig) return undefined;
    throw error;
  });
  if (!body) return undefined;
  return { plan: body.saved.plan, notice: noticeFor(await controllerOfStack(findStack({ file: options.file }))), saved: body.saved };
}

async function planHere(options: PlanOptions): Promise<Planned> {
  const workspace = await open(options);
  if (options.target) serviceNamesOf(workspace.desired, await readApplied(workspace), options.target);
  // Hashed before planning: if the file changes while stack observes, the saved plan is stale, never wrongly fresh.
  const stackHash = options.out === undefined ? undefined : await hashFile(workspace.desired.file);
  const result = await plan(workspace, { targets: options.target, look: true });
  const saved = stackHash === undefined ? undefined : createSavedPlan(result.plan, { desired: workspace.desired, stackHash, observed: result.observed, applied: result.applied });
  return { plan: result.plan, notice: await controllerNotice(workspace), saved };
}
