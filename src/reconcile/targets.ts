import type { Desired, DesiredService } from '../model/desired.js';
import { expandReplicaNames } from '../config/replicas.js';
import type { ServiceDecision } from './diff.js';
import { isRunningPhase } from './diff.js';
import type { Applied, Observed } from '../model/observed.js';
import type { Action } from '../model/plan.js';

/** What `--target` selection needs to know about the whole stack. */
export interface TargetContext {
  /** Every service name in start order, then removed services. */
  order: readonly string[];
  desired: ReadonlyMap<string, DesiredService>;
  decisions: ReadonlyMap<string, ServiceDecision>;
  observed: Observed;
  applied: Applied;
}

/** Target names that are neither in stack.yaml nor in the state file, in the order given. */
export function unknownTargets(desired: Desired, applied: Applied, targets: readonly string[]): string[] {
  const known = new Set(desired.services.map((service) => service.name));
  return expandReplicaNames([...known, ...applied.keys()], targets).filter((name) => !known.has(name) && !applied.has(name));
}

/**
 * The decisions `--target` keeps: the targets' own, plus not-running dependencies of a target
 * that starts, plus running dependents of a target that stops or is declared not to run
 * (started again when the target restarts), plus dependents stopped only because the target
 * went away, when it starts again (`stack start db` undoes `stack stop db`). Extras carry
 * `pulledInBy`; the first target in start order claims a service.
 */
export function selectTargets(context: TargetContext, targets: readonly string[]): Map<string, ServiceDecision> {
  // A service with replicas: each of them, those declared and those recorded.
  const wanted = new Set(expandReplicaNames(context.order, targets));
  const ordered = context.order.filter((name) => wanted.has(name));
  const selected = new Map<string, ServiceDecision>();
  for (const name of ordered) selected.set(name, context.decisions.get(name) as ServiceDecision);
  const dependents = reverseEdges(context.desired);
  for (const target of ordered) {
    const decision = selected.get(target) as ServiceDecision;
    if (hasOp(decision.startPhase, 'start')) {
      pullDependencies(context, selected, target);
      pullStoppedWith(context, selected, target, dependents);
    }
    // A target the file keeps from running takes its running dependents down even when it
    // already stopped (say, stopped by hand): as a plan of the whole stack would.
    const service = context.desired.get(target);
    const held = service !== undefined && !(service.enabled && service.state === 'running');
    if (hasOp(decision.stopPhase, 'stop') || held) pullDependents(context, selected, target, dependents);
  }
  return selected;
}

function pullDependencies(context: TargetContext, selected: Map<string, ServiceDecision>, target: string, from = target): void {
  for (const name of walk(from, (node) => context.desired.get(node)?.dependsOn ?? [])) {
    const decision = context.decisions.get(name);
    if (!decision || selected.has(name)) continue;
    if (!hasOp(decision.startPhase, 'start') || decision.stopPhase.length > 0) continue;
    selected.set(name, pulled(decision, target, (reason) => `dependency of ${from}: ${reason}`));
  }
}

/**
 * Dependents whose record says they stopped only because the target (or another such dependent)
 * went away, that would start now: in start order, with what else they need to start.
 */
function pullStoppedWith(
  context: TargetContext,
  selected: Map<string, ServiceDecision>,
  target: string,
  dependents: ReadonlyMap<string, string[]>,
): void {
  const back = new Set([target]);
  const reachable = new Set(walk(target, (node) => dependents.get(node) ?? []));
  for (const name of context.order.filter((candidate) => reachable.has(candidate))) {
    const stoppedWith = context.applied.get(name)?.stoppedWith;
    const decision = context.decisions.get(name);
    if (stoppedWith === undefined || !back.has(stoppedWith) || !decision || decision.blocked || !hasOp(decision.startPhase, 'start')) continue;
    back.add(name);
    if (selected.has(name)) continue;
    selected.set(name, pulled(decision, target, (reason) => reason));
    pullDependencies(context, selected, target, name);
  }
}

function pullDependents(
  context: TargetContext,
  selected: Map<string, ServiceDecision>,
  target: string,
  dependents: ReadonlyMap<string, string[]>,
): void {
  const targetRestarts = hasOp((selected.get(target) as ServiceDecision).startPhase, 'start');
  for (const name of walk(target, (node) => dependents.get(node) ?? [])) {
    const phase = context.observed.get(name)?.phase;
    if (selected.has(name) || phase === undefined || !isRunningPhase(phase)) continue;
    const own = context.decisions.get(name);
    if (own && own.stopPhase.length > 0) {
      selected.set(name, pulled(own, target, (reason) => reason));
      continue;
    }
    const service = context.desired.get(name);
    const again = targetRestarts && service !== undefined && service.enabled && service.state === 'running';
    selected.set(name, dependentStop(name, target, again));
  }
}

function dependentStop(name: string, target: string, again: boolean): ServiceDecision {
  const reason = `depends on ${target}`;
  const action = (op: 'stop' | 'start'): Action => ({
    service: name, op, reason, symbol: again ? '~' : '-', restart: again, pulledInBy: target, ...(again ? {} : { stopsWith: target }),
  });
  return { service: name, stopPhase: [action('stop')], startPhase: again ? [action('start')] : [], restart: again };
}

function pulled(decision: ServiceDecision, target: string, reword: (reason: string) => string): ServiceDecision {
  const mark = (action: Action): Action => ({ ...action, reason: reword(action.reason), pulledInBy: target });
  return { ...decision, stopPhase: decision.stopPhase.map(mark), startPhase: decision.startPhase.map(mark) };
}

function hasOp(actions: readonly Action[], op: Action['op']): boolean {
  return actions.some((action) => action.op === op);
}

function reverseEdges(desired: ReadonlyMap<string, DesiredService>): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const service of desired.values()) {
    for (const dep of service.dependsOn) {
      const list = edges.get(dep);
      if (list) list.push(service.name);
      else edges.set(dep, [service.name]);
    }
  }
  return edges;
}

/** Every node reachable from `start` (not including it), breadth first. */
function walk(start: string, next: (name: string) => readonly string[]): string[] {
  const seen = new Set([start]);
  const found: string[] = [];
  const queue = [start];
  for (let index = 0; index < queue.length; index++) {
    for (const name of next(queue[index] as string)) {
      if (seen.has(name)) continue;
      seen.add(name);
      found.push(name);
      queue.push(name);
    }
  }
  return found;
}
