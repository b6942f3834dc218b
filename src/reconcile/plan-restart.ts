import { isTask, type Desired } from '../model/desired.js';
import { topoOrder } from '../config/graph.js';
import type { Observed, Phase } from '../model/observed.js';
import type { Action, Plan } from '../model/plan.js';

const isUp = (phase: string | undefined) => phase === 'running' || phase === 'starting' || phase === 'stopping';

// A crashed service (also one that gave up) is meant to run: `stack restart` is how one says "try
// again now", with or without its name. What is stopped stays stopped.
const RESTARTED: ReadonlySet<Phase | undefined> = new Set(['running', 'starting', 'stopping', 'crashed']);

/**
 * `stack restart` with no names: every enabled service that stack.yaml wants running and that
 * runs (or crashed), in dependency order. Stopped, absent, disabled and unknown ones are left.
 */
export function restartable(desired: Desired, observed: Observed): string[] {
  return topoOrder(desired.services)
    .filter((service) => service.enabled && service.state === 'running' && RESTARTED.has(observed.get(service.name)?.phase))
    .map((service) => service.name);
}

/** `names` in the order they start: dependencies first, ties in file order. */
export function restartOrder(desired: Desired, names: readonly string[]): string[] {
  const chosen = new Set(names);
  return topoOrder(desired.services)
    .filter((service) => chosen.has(service.name))
    .map((service) => service.name);
}

export interface RestartOptions {
  /**
   * One service at a time, dependencies first: each stopped, started and ready before the next
   * stops. Always so when a replica is among them, so a service with replicas keeps serving.
   */
  rolling?: boolean;
  /** Why, as the plan's actions say it (default: `stack restart`). */
  reason?: string;
}

/** Whether a restart of `names` rolls: asked to, or one of them is a replica. */
export function restartRolls(desired: Desired, names: readonly string[], options: RestartOptions = {}): boolean {
  return options.rolling === true || desired.services.some((service) => service.replicaOf !== undefined && names.includes(service.name));
}

/**
 * `stack restart`: stop (where running) then start each named service, stops in reverse start
 * order, starts in start order; rolling, each service's stop and start together, in start order.
 * Imperative: stack.yaml is not consulted for `state`.
 */
export function planRestart(desired: Desired, observed: Observed, names: readonly string[], options: RestartOptions = {}): Plan {
  const inOrder = restartOrder(desired, names);
  const byName = new Map(desired.services.map((service) => [service.name, service]));
  const rolling = restartRolls(desired, inOrder, options);
  const reason = options.reason ?? (options.rolling ? 'stack restart --rolling' : rolling ? 'stack restart, one replica at a time' : 'stack restart');
  const stopOf = (name: string): Action[] => (isUp(observed.get(name)?.phase) ? [{ service: name, op: 'stop', reason, symbol: '~', restart: true }] : []);
  const startOf = (name: string): Action[] => [
    ...(observed.get(name)?.phase === 'absent' ? [{ service: name, op: 'install', reason, symbol: '~', restart: true } as const] : []),
    { service: name, op: 'start', reason, symbol: '~', restart: true, ...(isTask(byName.get(name)) ? { task: true as const } : {}) },
  ];
  const actions = rolling
    ? inOrder.flatMap((name) => [...stopOf(name), ...startOf(name)])
    : [...[...inOrder].reverse().flatMap(stopOf), ...inOrder.flatMap(startOf)];
  return {
    formatVersion: 1,
    project: desired.project,
    actions,
    blocked: [],
    summary: { install: 0, start: 0, restart: inOrder.length, stop: 0, uninstall: 0, unknown: 0 },
    unchanged: [],
    ...(rolling ? { rolling: true as const } : {}),
  };
}
