import { apply, monotonicMs, recordDeclarations, rotateRunningLogs, type PlanResult, type Workspace } from '../api.js';
import type { RunLine, RunResult } from '../api/connect.js';
import { ExitCode } from '../model/errors.js';
import { planToJson, type PlanJson } from '../reconcile/render-json.js';
import type { ApplyOutcome, ProgressEvent } from '../model/outcome.js';
import type { Plan } from '../model/plan.js';
import { confirm } from './confirm.js';
import { streams, useColor, type GlobalOptions } from './context.js';
import { onInterrupt } from './interrupt.js';
import { ProgressView } from './progress.js';
import { blockedExitCode, NOTHING_DONE, outcomeToJson, runExitCode, runSummaryLine, type OutcomeJson } from '../reconcile/run-result.js';

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

/** What carrying out a plan came to, in the shape of `apply --json`: the same whoever carried it out. */
interface Carried {
  project: string;
  plan: PlanJson;
  outcome: OutcomeJson;
  exitCode: number;
  /** Said after the summary: what was done is not recorded. */
  unrecorded?: string;
}

/** Carries out a confirmed plan, telling its progress: the library's `apply` here, or the controller's run. */
type Execute = (onProgress: (event: ProgressEvent) => void, signal: AbortSignal) => Promise<Carried>;

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

/**
 * A run the controller carries out (`POST /v1/apply`, the verbs), confirmed already: its lines
 * are told as they come (`onPlan` for its plan), and it ends as a run here would.
 */
export function runThroughController(
  run: (onLine: (line: RunLine) => void, signal: AbortSignal) => Promise<RunResult>,
  options: GlobalOptions & { verb: string; onLine?: (line: RunLine) => void },
): Promise<number> {
  return carryOut(async (onProgress, signal) => {
    const result = await run((line) => (line.type === 'progress' ? onProgress(line.event) : options.onLine?.(line)), signal);
    return { project: result.project, plan: result.plan, outcome: result.outcome, exitCode: result.exitCode };
  }, options);
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
  return carryOut(async (onProgress, signal) => {
    const began = monotonicMs();
    const done: ApplyOutcome = await apply(workspace, planned, { parallel: options.parallel, signal, onProgress, removeVolumes: options.removeVolumes });
    const plan = planToJson(planned.plan);
    const outcome = outcomeToJson(done, monotonicMs() - began);
    return { project: workspace.desired.project, plan, outcome, exitCode: runExitCode(plan, outcome, done.unrecorded !== undefined), unrecorded: done.unrecorded };
  }, options);
}

/** Progress as it comes, then the summary (or the `--json` body) and the exit code. */
async function carryOut(execute: Execute, options: GlobalOptions & { verb: string }): Promise<number> {
  const color = useColor(options, streams.stderr);
  const view = new ProgressView(options.json ? streams.stderr : streams.stdout, !options.json && streams.stdout.isTTY === true, color, streams.stderr);
  const interrupt = onInterrupt(streams.stderr, { beforeNotice: () => view.stopLive() });
  let carried: Carried;
  try {
    carried = await execute(view.onProgress, interrupt.signal);
  } catch (error) {
    // Only a controller's run throws when interrupted: leaving it (closing the request) interrupted it there.
    if (!interrupt.signal.aborted) throw error;
    streams.stderr.write(`${options.verb} interrupted: the controller stops what was in flight and records it (\`stack status\` shows where it got to).\n`);
    return interrupt.hungUp ? ExitCode.hangup : ExitCode.interrupted;
  } finally {
    view.close();
    interrupt.dispose();
  }
  const { project, plan, outcome } = carried;
  if (options.json) writeRunBody(project, plan, outcome);
  // Each failure was said on its own line as it came (on stderr): the summary only counts it.
  else if (plan.actions.length > 0) streams.stdout.write(`${runSummaryLine(options.verb, outcome, plan, outcome.durationMs)}\n`);
  if (carried.unrecorded) streams.stderr.write(`error: ${carried.unrecorded}; what was done above is not recorded (the next run finds the processes by their marker)\n`);
  return outcome.interrupted && interrupt.hungUp ? ExitCode.hangup : carried.exitCode;
}

/** `--json` of apply and down: `{ formatVersion, project, plan, outcome }`, also when nothing was done. */
export function writeRunJson(workspace: Workspace, plan: Plan, outcome: ApplyOutcome = NOTHING_DONE, elapsed = 0): void {
  writeRunBody(workspace.desired.project, planToJson(plan), outcomeToJson(outcome, elapsed));
}

function writeRunBody(project: string, plan: PlanJson, outcome: OutcomeJson): void {
  streams.stdout.write(`${JSON.stringify({ formatVersion: 1, project, plan, outcome }, null, 2)}\n`);
}
