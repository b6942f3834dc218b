import { apply, monotonicMs, recordDeclarations, rotateRunningLogs, type PlanResult, type Workspace } from '../api.js';
import { ExitCode } from '../model/errors.js';
import { planToJson } from '../reconcile/render-json.js';
import type { ApplyOutcome } from '../model/outcome.js';
import type { Plan } from '../model/plan.js';
import { confirm } from './confirm.js';
import { streams, useColor, type GlobalOptions } from './context.js';
import { onInterrupt } from './interrupt.js';
import { ProgressView } from './progress.js';
import { blockedExitCode, NOTHING_DONE, outcomeToJson, runExitCode, runSummaryLine } from '../reconcile/run-result.js';

export interface RunPlanOptions extends GlobalOptions {
  yes?: boolean;
  parallel: number;
  /** The question asked before acting. */
  question: string;
  /** Names the run in its summary: "Apply complete", "Down complete". */
  verb: string;
  /** Rotate the logs of running services past their maxSize afterwards (default); `down` does not. */
  rotateLogs?: boolean;
  /** `apply --remove-volumes` (already confirmed): uninstalls delete data volumes too. */
  removeVolumes?: boolean;
}

/**
 * The shared tail of `apply` and `down`: confirm, execute with progress, summarise, and turn
 * the outcome into an exit code (1 when anything failed, 130 when interrupted, 129 when the terminal closed).
 */
export async function runPlan(workspace: Workspace, planned: PlanResult, options: RunPlanOptions): Promise<number> {
  const code = await confirmAndApply(workspace, planned, options);
  // While the lock is held: logs of running services that grew past logs.maxSize are rotated
  // (without a controller, each apply is when that happens).
  if (code !== ExitCode.interrupted && code !== ExitCode.hangup && options.rotateLogs !== false) {
    await rotateRunningLogs(workspace, (line) => streams.stderr.write(`${line}\n`));
  }
  return code;
}

// Renders only: the plan is carried out by the library's `apply` (engine/execute.ts underneath).
async function confirmAndApply(workspace: Workspace, planned: PlanResult, options: RunPlanOptions): Promise<number> {
  if (planned.plan.actions.length === 0) {
    await recordDeclarations(workspace, planned.applied);
    // The same shape as a run that acted, so a script reads `.outcome` whatever the plan was.
    if (options.json) writeRunJson(workspace, planned.plan);
    return blockedExitCode(planToJson(planned.plan)) ?? ExitCode.ok;
  }
  if (!(await confirm(options.question, options))) {
    streams.stderr.write('Nothing done.\n');
    return ExitCode.actionFailed;
  }
  const color = useColor(options, streams.stderr);
  const view = new ProgressView(options.json ? streams.stderr : streams.stdout, !options.json && streams.stdout.isTTY === true, color, streams.stderr);
  const interrupt = onInterrupt(streams.stderr, { beforeNotice: () => view.stopLive() });
  const began = monotonicMs();
  let outcome: ApplyOutcome;
  try {
    outcome = await apply(workspace, planned, {
      parallel: options.parallel,
      signal: interrupt.signal,
      onProgress: view.onProgress,
      removeVolumes: options.removeVolumes,
    });
  } finally {
    view.close();
    interrupt.dispose();
  }
  const elapsed = monotonicMs() - began;
  if (options.json) {
    writeRunJson(workspace, planned.plan, outcome, elapsed);
  } else {
    // Each failure was said on its own line as it came (on stderr): the summary only counts it.
    streams.stdout.write(`${runSummaryLine(options.verb, outcomeToJson(outcome, elapsed), planToJson(planned.plan), elapsed)}\n`);
  }
  if (outcome.unrecorded) streams.stderr.write(`error: ${outcome.unrecorded}; what was done above is not recorded (the next run finds the processes by their marker)\n`);
  if (outcome.interrupted) return interrupt.hungUp ? ExitCode.hangup : ExitCode.interrupted;
  return runExitCode(planToJson(planned.plan), outcomeToJson(outcome, elapsed), outcome.unrecorded !== undefined);
}

/** `--json` of apply and down: `{ formatVersion, project, plan, outcome }`, also when nothing was done. */
export function writeRunJson(workspace: Workspace, plan: Plan, outcome: ApplyOutcome = NOTHING_DONE, elapsed = 0): void {
  streams.stdout.write(`${JSON.stringify({ formatVersion: 1, project: workspace.desired.project, plan: planToJson(plan), outcome: outcomeToJson(outcome, elapsed) }, null, 2)}\n`);
}
