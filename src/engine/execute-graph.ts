import { conditionOf, isTask, type DependencyCondition, type DesiredService } from '../model/desired.js';
import type { UnitOp } from './execute-unit.js';
import type { ServiceOutcome } from '../model/outcome.js';
import type { Observed } from '../model/observed.js';
import type { Action } from '../model/plan.js';

/** One service's operations in one phase of a run, and the units that must finish first. */
export interface Unit {
  service: string;
  phase: 'stop' | 'start';
  ops: UnitOp[];
  /** Units (by key) that must finish first. */
  after: string[];
  /** A rolling restart: the unit before this one (by key), which must have succeeded. */
  rollsAfter?: string;
}

export const keyOf = (phase: string, service: string) => `${phase}:${service}`;
/** The milestone of a start unit that `dependsOn: { x: started }` waits for: its run was spawned. */
export const spawnedKey = (service: string) => `spawned:${service}`;

/**
 * Groups a plan's actions into units: per service and phase, ordered by dependencies
 * (`dependsOn`: stack.yaml's, or a record's for a service that left the file).
 */
export function buildUnits(
  actions: readonly Action[],
  dependsOn: (name: string) => readonly string[],
  condition: (name: string, dep: string) => DependencyCondition = () => 'ready',
): Unit[] {
  const units = new Map<string, Unit>();
  for (const action of actions) {
    const phase = action.op === 'stop' || action.op === 'uninstall' ? 'stop' : 'start';
    const key = keyOf(phase, action.service);
    const unit = units.get(key) ?? { service: action.service, phase, ops: [], after: [] };
    unit.ops.push(action.op);
    units.set(key, unit);
  }
  // A unit waits only for units the plan put before it. The plan orders by dependencies, so this
  // drops nothing stack.yaml declares; records of services gone from the file may hold stale or
  // hand-made cycles, which must not leave units waiting on each other for ever.
  const position = new Map([...units.keys()].map((key, index) => [key, index]));
  const before = (key: string, unit: Unit) => (position.get(key) ?? Infinity) < (position.get(keyOf(unit.phase, unit.service)) ?? -1);
  for (const unit of units.values()) {
    if (unit.phase === 'start') {
      // `started` waits for the dependency's spawn, not for its unit (its readiness, a task's end).
      unit.after = dependsOn(unit.service)
        .filter((dep) => before(keyOf('start', dep), unit))
        .map((dep) => (condition(unit.service, dep) === 'started' ? spawnedKey(dep) : keyOf('start', dep)));
    } else {
      // A service stops only after everything that depends on it has stopped.
      unit.after = [...units.values()]
        .filter((other) => other.phase === 'stop' && dependsOn(other.service).includes(unit.service))
        .map((other) => keyOf('stop', other.service))
        .filter((key) => before(key, unit));
    }
  }
  return [...units.values()];
}

const ROLL_STOPPED = 'the rolling restart stopped:';

/** A rolling restart: each unit after the one before it, so one service at a time is down. */
export function rollUnits(units: Unit[]): Unit[] {
  return units.map((unit, index) => {
    const previous = units[index - 1];
    if (!previous) return unit;
    const key = keyOf(previous.phase, previous.service);
    return { ...unit, after: [...unit.after, key], rollsAfter: key };
  });
}

/** Why a unit cannot run, or undefined when it can. */
export function blockerOf(
  unit: Unit,
  outcomes: ReadonlyMap<string, ServiceOutcome>,
  byName: ReadonlyMap<string, DesiredService>,
  observed: Observed,
  startedHere: Pick<ReadonlySet<string>, 'has'>,
  stoppedHere: ReadonlySet<string>,
  spawnedHere: Pick<ReadonlySet<string>, 'has'> = startedHere,
): string | undefined {
  const previous = unit.rollsAfter === undefined ? undefined : outcomes.get(unit.rollsAfter);
  if (previous && previous.status !== 'done') {
    // Every unit after the one that failed says which one it was.
    if (previous.status === 'skipped' && previous.error?.startsWith(ROLL_STOPPED)) return previous.error;
    return `${ROLL_STOPPED} ${previous.service} ${previous.status === 'failed' ? 'failed' : 'did not finish'}`;
  }
  // A service whose stop failed still runs: starting it again would leave two runs.
  const ownStop = unit.phase === 'start' ? outcomes.get(keyOf('stop', unit.service)) : undefined;
  if (ownStop && ownStop.status !== 'done') return `its stop ${ownStop.status === 'failed' ? 'failed' : 'did not finish'}`;
  for (const key of unit.after) {
    const outcome = outcomes.get(key);
    // A spawn milestone has no outcome: the dependency's own unit may still be waiting for readiness.
    if (outcome && outcome.status !== 'done') {
      return unit.phase === 'start'
        ? `dependency ${outcome.service} ${outcome.status === 'failed' ? 'failed' : 'did not start'}`
        : `${outcome.service}, which depends on it, did not stop`;
    }
  }
  if (unit.phase === 'start' && unit.ops.includes('start')) {
    const service = byName.get(unit.service);
    for (const dep of service?.dependsOn ?? []) {
      const unmet = unmetCondition(dep, conditionOf(service as DesiredService, dep), { byName, observed, startedHere, stoppedHere, spawnedHere });
      if (unmet) return unmet;
    }
  }
  return undefined;
}

interface Seen {
  byName: ReadonlyMap<string, DesiredService>;
  observed: Observed;
  startedHere: Pick<ReadonlySet<string>, 'has'>;
  stoppedHere: ReadonlySet<string>;
  spawnedHere: Pick<ReadonlySet<string>, 'has'>;
}

/** Why `dep` does not yet meet what its dependent waits for: running (ready), spawned, or a task's success. */
function unmetCondition(dep: string, condition: DependencyCondition, seen: Seen): string | undefined {
  const observed = seen.observed.get(dep);
  const running = (observed?.phase === 'running' || observed?.phase === 'starting') && !seen.stoppedHere.has(dep);
  // A task's unit is done once it completed with a success; before this run, its record says.
  const completed = seen.startedHere.has(dep) || (observed?.task?.ok === true && !seen.stoppedHere.has(dep));
  if (condition === 'started') return seen.spawnedHere.has(dep) || running || completed ? undefined : `dependency ${dep} has not started`;
  if (isTask(seen.byName.get(dep))) return completed ? undefined : `task ${dep} has not completed`;
  return seen.startedHere.has(dep) || running ? undefined : `dependency ${dep} is not running`;
}

/** How many units move at once: `limit`, where the units of one slot (`slotOf`) count as one. */
export interface GraphLimit {
  limit: number;
  /** Units with the same slot are carried out together by their provider: a ready one joins its slot's running units whatever the limit. */
  slotOf?: ((unit: Unit) => string | undefined) | undefined;
}

/** Runs units as a dependency graph, at most `limit` at a time, in the order given among the ready ones. */
export async function runGraph(units: Unit[], limits: number | GraphLimit, run: (unit: Unit, mark: (key: string) => void) => Promise<void>): Promise<void> {
  const { limit, slotOf } = typeof limits === 'number' ? { limit: limits, slotOf: undefined } : limits;
  const keys = new Set(units.flatMap((unit) => [keyOf(unit.phase, unit.service), ...(unit.phase === 'start' ? [spawnedKey(unit.service)] : [])]));
  const done = new Set<string>();
  // A milestone reached before its unit ends (a spawn) lets what waits for it go.
  const mark = (key: string): void => {
    if (done.has(key)) return;
    done.add(key);
    wake();
  };
  const pending = [...units];
  const running = new Set<Promise<void>>();
  // Running units by slot; `moving` counts a slot once, and each unit without one.
  const slots = new Map<string, number>();
  let moving = 0;
  const take = (slot: string | undefined) => {
    const held = slot === undefined ? 0 : (slots.get(slot) ?? 0);
    if (slot !== undefined) slots.set(slot, held + 1);
    if (held === 0) moving += 1;
  };
  const give = (slot: string | undefined) => {
    const held = slot === undefined ? 1 : (slots.get(slot) ?? 1);
    if (slot !== undefined && held > 1) slots.set(slot, held - 1);
    else {
      if (slot !== undefined) slots.delete(slot);
      moving -= 1;
    }
  };
  let wake: () => void = () => undefined;
  while (pending.length > 0 || running.size > 0) {
    for (let index = 0; index < pending.length; ) {
      const free = moving < Math.max(1, limit);
      // Full, and no slot running that a unit could join.
      if (!free && slots.size === 0) break;
      const unit = pending[index] as Unit;
      const slot = slotOf?.(unit);
      const room = free || (slot !== undefined && slots.has(slot));
      if (room && unit.after.every((key) => done.has(key) || !keys.has(key))) {
        pending.splice(index, 1);
        take(slot);
        const task = run(unit, mark).finally(() => {
          done.add(keyOf(unit.phase, unit.service));
          if (unit.phase === 'start') done.add(spawnedKey(unit.service));
          running.delete(task);
          give(slot);
          wake();
        });
        running.add(task);
      } else {
        index += 1;
      }
    }
    if (running.size === 0) {
      // Units wait only for earlier ones (buildUnits), so this cannot happen; never end as if done.
      if (pending.length > 0) throw new Error(`units wait on each other: ${pending.map((unit) => keyOf(unit.phase, unit.service)).join(', ')}`);
      break;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
}
