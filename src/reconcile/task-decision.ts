/**
 * The action table's rows for a task (`kind: task`) that is not running: it runs once per spec
 * (its inputs' content included), and a run of the current spec that failed stays failed,
 * blocking what waits for it, until the spec changes or `stack restart` asks again. Pure.
 */

import type { DesiredService } from '../model/desired.js';
import type { AppliedService, TaskRun } from '../model/observed.js';
import type { Action, Op } from '../model/plan.js';
import type { ServiceDecision } from './decision.js';
import { describeExit } from './exit-words.js';
import { recordedAs, specOf } from './spec.js';
import type { Phase } from '../model/observed.js';

/** What to do with a task that does not run, given why its spec changed since the last start (`changeNote`). */
export function decideIdleTask(desired: DesiredService, applied: AppliedService | undefined, changeNote: string, changes: Action['changes']): ServiceDecision {
  const name = desired.name;
  const spec = specOf(desired);
  const run = applied?.taskRun;
  if (run && recordedAs(spec, { specHash: run.specHash })) {
    if (run.ok) return { service: name, stopPhase: [], startPhase: [], restart: false };
    const reason = `${taskFailedWords(run)}; it runs again once its spec or inputs change, or with stack restart ${name}`;
    return { service: name, stopPhase: [], startPhase: [], restart: false, blocked: { service: name, reason, kind: 'task-failed' } };
  }
  const reason = run ? changeNote : applied?.startedAt === undefined ? 'not run yet' : 'its last run did not finish';
  const reinstall = applied !== undefined && !recordedAs(spec, applied, 'installHash');
  const ops: Op[] = reinstall ? ['install', 'start'] : ['start'];
  const shown = run && changes && changes.length > 0 ? { changes } : {};
  return { service: name, stopPhase: [], startPhase: ops.map((op) => ({ service: name, op, reason, symbol: '+', restart: false, ...shown })), restart: false };
}

/** `task failed: exited with code 2`; a limit's reason when one ended it (`task failed: killed by the OOM killer (…)`). */
export function taskFailedWords(run: Pick<TaskRun, 'code' | 'signal'> & { reason?: string | undefined }): string {
  return `task failed: ${describeExit(run)}`;
}

/** A task's starts are runs: the plan says `run`. */
export function markTaskRuns(decision: ServiceDecision): ServiceDecision {
  const mark = (action: Action): Action => (action.op === 'start' ? { ...action, task: true } : action);
  return { ...decision, startPhase: decision.startPhase.map(mark) };
}

/**
 * A task on a schedule is never run by a plan: its controller runs it when it comes due (`stack
 * restart` runs it now). A plan installs it, and stops a run in progress only when stack.yaml
 * says `state: stopped`; a run in progress keeps the spec it began with, the next one has the new.
 */
export function decideScheduled(desired: DesiredService, phase: Phase, applied: AppliedService | undefined): ServiceDecision {
  const name = desired.name;
  const none: ServiceDecision = { service: name, stopPhase: [], startPhase: [], restart: false };
  const running = phase === 'starting' || phase === 'running' || phase === 'stopping';
  if (running) {
    return desired.state === 'running' ? none : { ...none, stopPhase: [{ service: name, op: 'stop', reason: 'state: stopped in stack.yaml', symbol: '-', restart: false }] };
  }
  const onSchedule = `runs on its schedule (${desired.task?.schedule?.text ?? ''})`;
  if (phase === 'absent') return { ...none, startPhase: [{ service: name, op: 'install', reason: `${applied ? 'not installed' : 'new task'}; ${onSchedule}`, symbol: '+', restart: false }] };
  if (applied && applied.provider === desired.provider && !recordedAs(specOf(desired), applied, 'installHash')) {
    return { ...none, startPhase: [{ service: name, op: 'install', reason: `its install changed; ${onSchedule}`, symbol: '~', restart: false }] };
  }
  return none;
}
