import { topoOrder } from '../config/graph.js';
import type { Desired, DesiredService } from '../model/desired.js';
import { recordedOnly } from './declarations.js';
import type { ServiceDecision } from './diff.js';
import { decideService } from './diff.js';
import { blockUnstartable } from './plan-blocks.js';
import { selectTargets } from './targets.js';
import type { Applied, Observed, ObservedService } from '../model/observed.js';
import type { Action, Blocked, Plan, PlanSummary } from '../model/plan.js';

export { unknownTargets } from './targets.js';

export interface PlanOptions {
  /** Plan only these services (and what they pull in). Names must exist; see `unknownTargets`. */
  targets?: readonly string[];
}

/**
 * The ordered plan that brings `observed` to `desired`. Pure: the same inputs give the same
 * plan. The stop phase (reverse start order, removed services first) precedes the start phase
 * (dependencies first, manifest order between unrelated services).
 */
export function planActions(desired: Desired, observed: Observed, applied: Applied, options: PlanOptions = {}): Plan {
  const byName = new Map(desired.services.map((service) => [service.name, service]));
  const startOrder = topoOrder(desired.services).map((service) => service.name);
  // Services that left the file stop first, dependents before what they depended on (as their records say).
  const removed = removedInStopOrder(applied, byName);
  const decisions = new Map<string, ServiceDecision>();
  for (const name of [...startOrder, ...removed]) {
    decisions.set(name, decideService(byName.get(name), observationOf(name, byName.get(name), observed, applied), applied.get(name)));
  }
  blockUnstartable(decisions, startOrder, byName, observed);
  const chosen = options.targets
    ? selectTargets({ order: [...startOrder, ...removed], desired: byName, decisions, observed, applied }, options.targets)
    : decisions;
  const actions = [
    ...collect([...removed, ...[...startOrder].reverse()], chosen, (decision) => decision.stopPhase),
    ...collect(startOrder, chosen, (decision) => decision.startPhase),
  ];
  const blocked = [...startOrder, ...removed]
    .map((name) => chosen.get(name)?.blocked)
    .filter((entry): entry is Blocked => entry !== undefined);
  return {
    formatVersion: 1,
    project: desired.project,
    actions,
    blocked,
    summary: summarize(actions, chosen, blocked),
    unchanged: unchangedServices(desired.services, chosen),
    ...namedPortsOf(desired),
  };
}

/** The named ports of this copy of the stack, and the kept ones picked again (load/named-ports.ts). */
function namedPortsOf(desired: Desired): Pick<Plan, 'ports' | 'notes'> {
  const named = desired.services.filter((service) => service.enabled && service.namedPorts !== undefined);
  return {
    ...(named.length === 0 ? {} : { ports: Object.fromEntries(named.map((service) => [service.name, { ...service.namedPorts }])) }),
    ...(desired.portNotes?.length ? { notes: [...desired.portNotes] } : {}),
  };
}

// A service nobody observed is unknown, unless there is nothing stack could ever do about it.
function observationOf(
  name: string,
  service: DesiredService | undefined,
  observed: Observed,
  applied: Applied,
): ObservedService {
  const seen = observed.get(name);
  if (seen) return seen;
  const matters = applied.has(name) || (service !== undefined && service.enabled);
  return matters ? { name, phase: 'unknown', detail: 'not observed' } : { name, phase: 'absent' };
}

function collect(
  names: readonly string[],
  decisions: ReadonlyMap<string, ServiceDecision>,
  phase: (decision: ServiceDecision) => Action[],
): Action[] {
  const actions: Action[] = [];
  for (const name of names) {
    const decision = decisions.get(name);
    if (decision) actions.push(...phase(decision));
  }
  return actions;
}

function summarize(actions: readonly Action[], decisions: ReadonlyMap<string, ServiceDecision>, blocked: readonly Blocked[]): PlanSummary {
  const summary: PlanSummary = { install: 0, start: 0, restart: 0, stop: 0, uninstall: 0, unknown: 0 };
  for (const action of actions) if (!action.restart) summary[action.op] += 1;
  for (const decision of decisions.values()) if (decision.restart) summary.restart += 1;
  summary.unknown = blocked.filter((entry) => (entry.kind ?? 'unknown') === 'unknown').length;
  return summary;
}

function unchangedServices(services: readonly DesiredService[], decisions: ReadonlyMap<string, ServiceDecision>): string[] {
  return services
    .filter((service) => service.enabled)
    .filter((service) => {
      const decision = decisions.get(service.name);
      return decision !== undefined && !decision.blocked && decision.stopPhase.length === 0 && decision.startPhase.length === 0;
    })
    .map((service) => service.name);
}

/**
 * The recorded services that stack.yaml no longer has, in the order to stop them: the reverse
 * of their start order by their recorded dependencies (later records first between unrelated
 * ones).
 */
function removedInStopOrder(applied: Applied, desired: ReadonlyMap<string, unknown>): string[] {
  return topoOrder(recordedOnly(applied, desired)).map((node) => node.name).reverse();
}
