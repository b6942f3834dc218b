import type { Desired } from '../config/types.js';
import { dependentsOf, topoOrder } from '../config/graph.js';
import { recordedOnly } from './declarations.js';
import type { Action, Applied, Observed, Plan } from './types.js';

const isUp = (phase: string | undefined) => phase === 'running' || phase === 'starting' || phase === 'stopping';

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
  for (const node of topoOrder(nodes).reverse()) {
    if (!isUp(observed.get(node.name)?.phase)) continue;
    if (chosen.has(node.name)) {
      actions.push({ service: node.name, op: 'stop', reason: 'stack down', symbol: '-', restart: false });
    } else if (pulledIn.has(node.name)) {
      const via = nodes.find((other) => other.name === node.name)?.dependsOn.find((dep) => chosen.has(dep) || pulledIn.has(dep));
      actions.push({ service: node.name, op: 'stop', reason: `depends on ${via ?? names[0]}`, symbol: '-', restart: false, pulledInBy: via ?? names[0] });
    }
  }
  const blocked = nodes
    .filter((node) => (chosen.has(node.name) || pulledIn.has(node.name)) && observed.get(node.name)?.phase === 'unknown')
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
