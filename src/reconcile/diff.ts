import { isScheduled, isTask, type DesiredService } from '../model/desired.js';
import { decideIdleTask, decideScheduled, markTaskRuns } from './task-decision.js';
import type { ServiceDecision } from './decision.js';
import { describeFileChanges, nameChangedFiles } from './file-changes.js';
import { changedSinceGiveUp, restartsBeforeGivingUp } from './give-up.js';
import { isSensitiveField, recordedAs, specOf, type ServiceSpec } from './spec.js';
import type { AppliedService, ObservedService, Phase } from '../model/observed.js';
import type { Action, Blocked, FieldChange, Op } from '../model/plan.js';

export type { ServiceDecision };

type Symbol = Action['symbol'];

const MAX_NAMED_FIELDS = 6;

/** Phases in which a stop has something to do. */
export function isRunningPhase(phase: Phase): boolean {
  return phase === 'starting' || phase === 'running' || phase === 'stopping';
}

/**
 * The row of the action table (docs/architecture.md) for one service. `desired` undefined means
 * the service left stack.yaml; it is treated as disabled.
 */
export function decideService(
  desired: DesiredService | undefined,
  observed: ObservedService,
  applied: AppliedService | undefined,
): ServiceDecision {
  const name = observed.name;
  if (observed.phase === 'unknown') {
    const blocked = blockedDecision(name, observed.detail ?? 'status could not be determined', 'unknown');
    if (observed.unavailable && blocked.blocked) blocked.blocked.unavailable = true;
    return blocked;
  }
  if (desired === undefined || !desired.enabled) return decideRemoval(name, desired, observed.phase);
  if (isScheduled(desired)) {
    // Moved to another provider: the old one's run goes as any service's would; the new one waits for its time.
    if (!applied || applied.provider === desired.provider) return decideScheduled(desired, observed.phase, applied);
    const moved = decideEnabled(desired, observed, applied);
    return { ...moved, startPhase: moved.startPhase.filter((action) => action.op !== 'start') };
  }
  const decision = decideEnabled(desired, observed, applied);
  return isTask(desired) ? markTaskRuns(decision) : decision;
}

function decideRemoval(name: string, desired: DesiredService | undefined, phase: Phase): ServiceDecision {
  if (phase === 'absent') return emptyDecision(name);
  const reason = desired ? 'disabled in stack.yaml' : 'removed from stack.yaml';
  const ops: Op[] = isRunningPhase(phase) ? ['stop', 'uninstall'] : ['uninstall'];
  return { ...emptyDecision(name), stopPhase: ops.map((op) => makeAction(name, op, reason, '-', false)) };
}

function decideEnabled(desired: DesiredService, observed: ObservedService, applied: AppliedService | undefined): ServiceDecision {
  const name = desired.name;
  const wantsRunning = desired.state === 'running';
  const running = isRunningPhase(observed.phase);
  if (observed.phase === 'absent') {
    const reason = applied ? 'not installed' : isTask(desired) ? 'new task' : 'new service';
    const ops: Op[] = wantsRunning ? ['install', 'start'] : ['install'];
    return { ...emptyDecision(name), startPhase: ops.map((op) => makeAction(name, op, reason, '+', false)) };
  }
  if (!wantsRunning) {
    if (!running) return emptyDecision(name);
    return { ...emptyDecision(name), stopPhase: [makeAction(name, 'stop', 'state: stopped in stack.yaml', '-', false)] };
  }
  if (applied && applied.provider !== desired.provider) return switchProvider(desired, applied, running);

  const spec = specOf(desired);
  const changes = applied ? nameChangedFiles(fieldChanges(recordedFields(applied.fields, spec), spec.fields, desired.sensitive), applied.files, desired.files) : [];
  const specChanged = applied === undefined || !recordedAs(spec, applied);
  const reinstall = applied !== undefined && !recordedAs(spec, applied, 'installHash');
  const changeNote = applied === undefined ? 'not recorded in state' : changeReason(changes);

  if (running) {
    if (observed.phase === 'stopping') return restartDecision(name, 'was stopping', reinstall, changes);
    const drift = observed.drift ?? [];
    if (specChanged) return restartDecision(name, changeNote, reinstall, [...changes, ...drift]);
    return drift.length > 0 ? restartDecision(name, driftReason(drift), false, drift) : emptyDecision(name);
  }
  if (isTask(desired)) return decideIdleTask(desired, applied, changeNote, changes);
  // A service that gave up gets a new chance once any part of its declaration changed: the
  // cause may be gone (a `ready` probe on the wrong port, too few restarts allowed).
  const sinceGiveUp = applied?.gaveUp ? changedSinceGiveUp(desired, applied) : [];
  if (applied?.gaveUp && sinceGiveUp.length === 0) {
    return blockedDecision(name, `${givenUpWords(restartsBeforeGivingUp(applied))}; run stack restart ${name}`, 'gave-up');
  }
  const base = observed.phase === 'crashed' ? crashedReason(observed) : idleReason(applied);
  const edited = sinceGiveUp.filter((part) => part !== 'spec');
  const retried = edited.length > 0 && !specChanged ? `; ${edited.join(', ')} changed since it gave up` : '';
  const reason = applied && specChanged ? `${base}; ${changeNote}` : `${base}${retried}`;
  const ops: Op[] = reinstall ? ['install', 'start'] : ['start'];
  const withChanges = applied && specChanged ? changes : undefined;
  return { ...emptyDecision(name), startPhase: ops.map((op) => makeAction(name, op, reason, '+', false, withChanges)) };
}

// The old provider's service is stopped and uninstalled, then the new one installed.
function switchProvider(desired: DesiredService, applied: AppliedService, running: boolean): ServiceDecision {
  const name = desired.name;
  const reason = `provider changed: ${applied.provider} → ${desired.provider}`;
  const changes = fieldChanges(applied.fields, specOf(desired).fields, desired.sensitive);
  const stopOps: Op[] = running ? ['stop', 'uninstall'] : ['uninstall'];
  const startOps: Op[] = ['install', 'start'];
  return {
    service: name,
    stopPhase: stopOps.map((op) => makeAction(name, op, reason, '~', running, changes)),
    startPhase: startOps.map((op) => makeAction(name, op, reason, '~', running, changes)),
    restart: running,
  };
}

function restartDecision(name: string, reason: string, reinstall: boolean, changes: FieldChange[]): ServiceDecision {
  const startOps: Op[] = reinstall ? ['install', 'start'] : ['start'];
  const withChanges = changes.length > 0 ? changes : undefined;
  return {
    service: name,
    stopPhase: [makeAction(name, 'stop', reason, '~', true, withChanges)],
    startPhase: startOps.map((op) => makeAction(name, op, reason, '~', true, withChanges)),
    restart: true,
  };
}

/** The fields that differ between what was applied and what is desired, sorted by name. */
/** Recorded fields, a secret an older stack recorded unkeyed read as the keyed digest of the same value. */
function recordedFields(fields: Readonly<Record<string, string>>, spec: ServiceSpec): Readonly<Record<string, string>> {
  const legacy = spec.legacy?.fields;
  if (!legacy) return fields;
  const read = { ...fields };
  for (const [key, value] of Object.entries(fields)) if (legacy[key] === value && spec.fields[key] !== undefined) read[key] = spec.fields[key];
  return read;
}

export function fieldChanges(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  sensitive: readonly string[],
): FieldChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: FieldChange[] = [];
  for (const field of keys) {
    const old = before[field];
    const now = after[field];
    if (old === now) continue;
    if (isSensitiveField(field, sensitive)) changes.push({ field, sensitive: true });
    else changes.push({ field, before: old, after: now, sensitive: false });
  }
  return changes;
}

/** `spec changed: command, env.API_TOKEN (sensitive)`. */
export function changeReason(changes: readonly FieldChange[]): string {
  if (changes.length === 0) return 'spec changed';
  const names = changes.map((change) => (change.sensitive ? `${change.field} (sensitive)` : change.files ? `${change.field} (${describeFileChanges(change.files)})` : change.field));
  const shown = names.slice(0, MAX_NAMED_FIELDS).join(', ');
  const more = names.length > MAX_NAMED_FIELDS ? ` and ${names.length - MAX_NAMED_FIELDS} more` : '';
  return `spec changed: ${shown}${more}`;
}

/** `drift: swarm.web.replicas`: what runs is not what the file declares, though stack.yaml did not change. */
function driftReason(drift: readonly FieldChange[]): string {
  return `drift: ${changeReason(drift).replace(/^spec changed: /, '')}`;
}

// Stopped only because a dependency went away (`stack stop db`): it comes back with it.
function idleReason(applied: AppliedService | undefined): string {
  return applied?.stoppedWith === undefined ? 'not running' : `dependency ${applied.stoppedWith} back`;
}

function crashedReason(observed: ObservedService): string {
  return observed.detail ? `crashed (${observed.detail})` : 'crashed';
}

function makeAction(
  service: string,
  op: Op,
  reason: string,
  symbol: Symbol,
  restart: boolean,
  changes?: FieldChange[],
): Action {
  const action: Action = { service, op, reason, symbol, restart };
  if (changes && changes.length > 0) action.changes = changes;
  return action;
}

function emptyDecision(service: string): ServiceDecision {
  return { service, stopPhase: [], startPhase: [], restart: false };
}

function blockedDecision(service: string, reason: string, kind: Blocked['kind']): ServiceDecision {
  return { ...emptyDecision(service), blocked: { service, reason, kind } };
}

/**
 * Why a crashed service is left alone, in the words `status`, `plan` and the controller use:
 * `gave up after 3 restarts` (in a row: restart.maxRestarts of them), or, with `maxRestarts: 0`,
 * that none was allowed (a service only gives up once its restarts are used up).
 */
export function givenUpWords(restarts: number): string {
  if (restarts === 0) return 'not restarted (restart.maxRestarts is 0)';
  return `gave up after ${restarts} ${restarts === 1 ? 'restart' : 'restarts'}`;
}
