import { topoOrder } from '../config/graph.js';
import type { Desired } from '../model/desired.js';
import type { Applied, Observed } from '../model/observed.js';
import type { Action, Plan } from '../model/plan.js';
import { isRunningPhase } from './diff.js';
import { planActions } from './plan.js';

export interface UpdatePlanInput {
  /** Services whose declaration `stack update` changed (a git plugin's commit): planned as any edit is. */
  changed: readonly string[];
  /** Running services to restart although stack.yaml did not change, each with why (an image pulled). */
  restarts: ReadonlyMap<string, string>;
}

/**
 * `stack update`'s plan: the changed services as `stack apply` would plan them, plus a restart of
 * each running service that runs something older than what is now at hand (compose recreates a
 * container whose image changed when it starts it). Stops in reverse start order, then starts
 * in start order, as every plan. Pure.
 */
export function planUpdate(desired: Desired, observed: Observed, applied: Applied, input: UpdatePlanInput): Plan {
  const base = planActions(desired, observed, applied, { targets: input.changed });
  const planned = new Set(base.actions.map((action) => action.service));
  const extra: Action[] = [];
  for (const service of desired.services) {
    const reason = input.restarts.get(service.name);
    if (reason === undefined || planned.has(service.name) || !service.enabled || service.state !== 'running') continue;
    if (!isRunningPhase(observed.get(service.name)?.phase ?? 'unknown')) continue;
    extra.push({ service: service.name, op: 'stop', reason, symbol: '~', restart: true }, { service: service.name, op: 'start', reason, symbol: '~', restart: true });
  }
  if (extra.length === 0) return base;
  const order = new Map(topoOrder(desired.services).map((service, index) => [service.name, index]));
  const stopping = (action: Action) => action.op === 'stop' || action.op === 'uninstall';
  const rank = (action: Action) => (stopping(action) ? -(order.get(action.service) ?? 0) : order.size + (order.get(action.service) ?? 0));
  // A stable sort: one service's own actions keep their order (stop before uninstall, install before start).
  const actions = [...base.actions, ...extra].map((action, index) => ({ action, index })).sort((a, b) => rank(a.action) - rank(b.action) || a.index - b.index).map(({ action }) => action);
  const restarted = new Set(extra.map((action) => action.service));
  return {
    ...base,
    actions,
    summary: { ...base.summary, restart: base.summary.restart + restarted.size },
    unchanged: base.unchanged.filter((name) => !restarted.has(name)),
  };
}
