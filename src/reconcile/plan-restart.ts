import type { Desired } from '../model/desired.js';
import { topoOrder } from '../config/graph.js';
import type { Observed } from '../model/observed.js';
import type { Action, Plan } from '../model/plan.js';

const isUp = (phase: string | undefined) => phase === 'running' || phase === 'starting' || phase === 'stopping';

/**
 * `stack restart`: stop (where running) then start each named service, stops in reverse start
 * order, starts in start order. Imperative: stack.yaml is not consulted for `state`.
 */
export function planRestart(desired: Desired, observed: Observed, names: readonly string[]): Plan {
  const chosen = new Set(names);
  const order = topoOrder(desired.services).filter((service) => chosen.has(service.name));
  const reason = 'stack restart';
  const stops: Action[] = [...order]
    .reverse()
    .filter((service) => isUp(observed.get(service.name)?.phase))
    .map((service) => ({ service: service.name, op: 'stop', reason, symbol: '~', restart: true }));
  const starts: Action[] = [];
  for (const service of order) {
    if (observed.get(service.name)?.phase === 'absent') starts.push({ service: service.name, op: 'install', reason, symbol: '~', restart: true });
    starts.push({ service: service.name, op: 'start', reason, symbol: '~', restart: true });
  }
  return {
    formatVersion: 1,
    project: desired.project,
    actions: [...stops, ...starts],
    blocked: [],
    summary: { install: 0, start: 0, restart: order.length, stop: 0, uninstall: 0, unknown: 0 },
    unchanged: [],
  };
}
