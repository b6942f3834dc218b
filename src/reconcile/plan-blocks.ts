import { conditionOf, type DesiredService } from '../model/desired.js';
import { taskFailedWords } from './task-decision.js';
import { isRunningPhase } from './diff.js';
import type { ServiceDecision } from './decision.js';
import type { Observed, PortConflict } from '../model/observed.js';
import type { Action, Blocked } from '../model/plan.js';

const MAX_COMMAND = 80;

/** `port 8080 is in use by pid 4242 (python3 -m http.server 8080)`. */
export function describePortConflict(conflict: PortConflict): string {
  const port = conflict.host === undefined ? String(conflict.port) : `${conflict.host}:${conflict.port}`;
  if (conflict.pid === undefined) return `port ${port} is in use by another process (not ours; its owner is not visible to this user)`;
  const command = conflict.command === undefined ? '' : ` (${shorten(conflict.command)})`;
  return `port ${port} is in use by pid ${conflict.pid}${command}`;
}

function shorten(text: string): string {
  return text.length > MAX_COMMAND ? `${text.slice(0, MAX_COMMAND - 1)}…` : text;
}

// Not started by this apply, so neither is what needs it (a service that gave up waits for an edit of it, `stack restart` or `stack down`).
const BLOCKS_DEPENDENTS = new Set<Blocked['kind']>(['port-conflict', 'dependency', 'gave-up', 'task-failed']);

/**
 * A service that would start while a declared port is held by another process is blocked
 * (`!`) instead, and so is every service whose start needs it (`dependency db is blocked`).
 * A service that needs one the file declares stopped or disabled cannot run either: its start
 * is blocked, and if it runs it stops, and so does what needs it in turn, as `stack stop db`
 * does (`dependency db is declared stopped`, `dependency web stops`). Walks in start order, so
 * blocks and stops propagate.
 */
export function blockUnstartable(
  decisions: Map<string, ServiceDecision>,
  startOrder: readonly string[],
  byName: ReadonlyMap<string, DesiredService>,
  observed: Observed,
): void {
  // Declared running, but going down (or staying down) because a dependency will not run.
  const down = new Set<string>();
  for (const name of startOrder) {
    const decision = decisions.get(name);
    const service = byName.get(name);
    if (!decision || decision.blocked || !service || !wantsRunning(service)) continue;
    const starts = decision.startPhase.some((action) => action.op === 'start');
    if (starts) {
      const conflicts = observed.get(name)?.portConflicts ?? [];
      if (conflicts.length > 0) {
        decisions.set(name, blockedOnly(name, conflicts.map(describePortConflict).join('; '), 'port-conflict'));
        continue;
      }
      const dep = service.dependsOn.find((depName) => blocksDependent(service, depName, decisions.get(depName)?.blocked?.kind));
      if (dep !== undefined) {
        decisions.set(name, blockedOnly(name, blockedDependencyWords(dep, decisions.get(dep)?.blocked?.kind, observed), 'dependency'));
        continue;
      }
    }
    const cause = downDependency(service, byName, down);
    if (!cause) continue;
    down.add(name);
    if (starts) {
      // Its stop (a restart's first half) still happens: dependents stop before what they need.
      const stopPhase = decision.stopPhase.map((action) => ({ ...action, restart: false, symbol: '-' as const, ...(action.op === 'stop' ? { stopsWith: cause.name } : {}) }));
      decisions.set(name, { ...decision, stopPhase, startPhase: [], restart: false, blocked: { service: name, reason: cause.reason, kind: 'dependency' } });
    } else if (isRunningPhase(observed.get(name)?.phase ?? 'absent')) {
      const stop: Action = { service: name, op: 'stop', reason: cause.reason, symbol: '-', restart: false, stopsWith: cause.name };
      decisions.set(name, { service: name, stopPhase: [stop], startPhase: [], restart: false });
    }
  }
}

// A failed task did start: what waits only for its start (`started`) is not held up.
function blocksDependent(service: DesiredService, dep: string, kind: Blocked['kind']): boolean {
  return BLOCKS_DEPENDENTS.has(kind) && !(kind === 'task-failed' && conditionOf(service, dep) === 'started');
}

/** `dependency db is blocked`, `task migrate failed: exited with code 2`. */
function blockedDependencyWords(dep: string, kind: Blocked['kind'], observed: Observed): string {
  const run = observed.get(dep)?.task;
  return kind === 'task-failed' && run ? `${taskFailedWords(run).replace(/^task /, `task ${dep} `)}` : `dependency ${dep} is blocked`;
}

/** The first dependency that will not run: the file says so, or it goes down with one of its own. */
function downDependency(service: DesiredService, byName: ReadonlyMap<string, DesiredService>, down: ReadonlySet<string>): { name: string; reason: string } | undefined {
  for (const depName of service.dependsOn) {
    const dep = byName.get(depName);
    if (dep && !wantsRunning(dep)) return { name: depName, reason: `dependency ${depName} is ${dep.enabled ? 'declared stopped (state: stopped)' : 'disabled (enabled: false)'}` };
    if (down.has(depName)) return { name: depName, reason: `dependency ${depName} stops` };
  }
  return undefined;
}

function wantsRunning(service: DesiredService): boolean {
  return service.enabled && service.state === 'running';
}

function blockedOnly(service: string, reason: string, kind: Blocked['kind']): ServiceDecision {
  return { service, stopPhase: [], startPhase: [], restart: false, blocked: { service, reason, kind } };
}
