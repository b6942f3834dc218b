import type { Desired } from '../model/desired.js';
import { dependentsOf, topoOrder } from '../config/graph.js';
import { recordedOnly } from './declarations.js';
import type { Applied, AppliedService, Observed, ObservedService } from '../model/observed.js';
import type { Action, Plan } from '../model/plan.js';

const isUp = (phase: string | undefined) => phase === 'running' || phase === 'starting' || phase === 'stopping';

// A service whose state cannot be told (a plugin's `status` failed) may be running: down calls its
// stop anyway, since stop commands must be safe to repeat. Not when its provider is unavailable
// (no docker engine: the stop could not run), nor when stack stopped it and started nothing since.
const mayRun = (observed: ObservedService | undefined, record: AppliedService | undefined): boolean =>
  observed?.phase === 'unknown' && observed.unavailable !== true && record !== undefined && record.stoppedByUs !== true;

/**
 * `stack down`: stop every running service (or the named ones and their running dependents)
 * in reverse start order, whatever stack.yaml says. Nothing is uninstalled or forgotten.
 */
export function planDown(desired: Desired, observed: Observed, applied: Applied, names: readonly string[] = []): Plan {
  const known = desired.services.map((service) => ({ name: service.name, dependsOn: service.dependsOn }));
  // Services that left the file (all of them when it does not load) depend on what their records say.
  const nodes = [...known, ...recordedOnly(applied, new Set(known.map((node) => node.name)))];
  const chosen = new Set(names.length > 0 ? names : nodes.map((node) => node.name));
  const pulledIn = names.length > 0 ? dependentsOf(nodes, chosen) : new Set<string>();
  const actions: Action[] = [];
  const unknownStopped = new Set<string>();
  for (const node of topoOrder(nodes).reverse()) {
    const seen = observed.get(node.name);
    const unknown = mayRun(seen, applied.get(node.name));
    if (!isUp(seen?.phase) && !unknown) continue;
    if (unknown && (chosen.has(node.name) || pulledIn.has(node.name))) unknownStopped.add(node.name);
    if (chosen.has(node.name)) {
      const reason = unknown ? `stack down (state unknown: ${seen?.detail ?? 'status could not be determined'}; stopping it anyway)` : 'stack down';
      actions.push({ service: node.name, op: 'stop', reason, symbol: '-', restart: false });
    } else if (pulledIn.has(node.name)) {
      const via = nodes.find((other) => other.name === node.name)?.dependsOn.find((dep) => chosen.has(dep) || pulledIn.has(dep));
      actions.push({ service: node.name, op: 'stop', reason: `depends on ${via ?? names[0]}`, symbol: '-', restart: false, pulledInBy: via ?? names[0] });
    }
  }
  const blocked = nodes
    .filter((node) => (chosen.has(node.name) || pulledIn.has(node.name)) && observed.get(node.name)?.phase === 'unknown' && !unknownStopped.has(node.name))
    .map((node) => {
      const seen = observed.get(node.name);
      return { service: node.name, reason: seen?.detail ?? 'state unknown', ...(seen?.unavailable ? { unavailable: true } : {}) };
    });
  return {
    formatVersion: 1,
    project: desired.project,
    actions,
    blocked,
    summary: { install: 0, start: 0, restart: 0, stop: actions.length, uninstall: 0, unknown: blocked.length },
    unchanged: [],
  };
}
