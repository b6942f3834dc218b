import type { DesiredService } from '../config/types.js';
import type { ServiceDecision } from './diff.js';
import type { Blocked, Observed, PortConflict } from './types.js';

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
const BLOCKS_DEPENDENTS = new Set<Blocked['kind']>(['port-conflict', 'dependency', 'gave-up']);

/**
 * A service that would start while a declared port is held by another process is blocked
 * (`!`) instead, and so is every service whose start needs it (`dependency db is blocked`) or
 * needs a service the file declares stopped or disabled, so apply fails those and carries out
 * the rest. Walks in start order, so blocks propagate.
 */
export function blockUnstartable(
  decisions: Map<string, ServiceDecision>,
  startOrder: readonly string[],
  byName: ReadonlyMap<string, DesiredService>,
  observed: Observed,
): void {
  for (const name of startOrder) {
    const decision = decisions.get(name);
    if (!decision || decision.blocked || !decision.startPhase.some((action) => action.op === 'start')) continue;
    const conflicts = observed.get(name)?.portConflicts ?? [];
    if (conflicts.length > 0) {
      decisions.set(name, blockedOnly(name, conflicts.map(describePortConflict).join('; '), 'port-conflict'));
      continue;
    }
    const deps = byName.get(name)?.dependsOn ?? [];
    const dep = deps.find((depName) => BLOCKS_DEPENDENTS.has(decisions.get(depName)?.blocked?.kind));
    if (dep !== undefined) {
      decisions.set(name, blockedOnly(name, `dependency ${dep} is blocked`, 'dependency'));
      continue;
    }
    // The file itself says the dependency is not to run: no apply can start this one.
    const held = deps.map((depName) => byName.get(depName)).find((depService) => depService !== undefined && !wantsRunning(depService));
    if (held) {
      // Its stop (a restart's first half) still happens: dependents stop before what they need.
      const reason = `dependency ${held.name} is ${held.enabled ? 'declared stopped (state: stopped)' : 'disabled (enabled: false)'}`;
      const stopPhase = decision.stopPhase.map((action) => ({ ...action, restart: false, symbol: '-' as const }));
      decisions.set(name, { ...decision, stopPhase, startPhase: [], restart: false, blocked: { service: name, reason, kind: 'dependency' } });
    }
  }
}

function wantsRunning(service: DesiredService): boolean {
  return service.enabled && service.state === 'running';
}

function blockedOnly(service: string, reason: string, kind: Blocked['kind']): ServiceDecision {
  return { service, stopPhase: [], startPhase: [], restart: false, blocked: { service, reason, kind } };
}
