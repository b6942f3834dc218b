/**
 * A plan saved with `stack plan -o plan.json`, with what it was computed from, so `stack apply
 * plan.json` carries out exactly that plan or refuses to: the stack.yaml it was planned from
 * (content hash), and for each planned service the phase and pid observed, the spec hash that
 * was applied and the one wanted. Pure: hashes and observations are passed in.
 */

import type { Desired } from '../model/desired.js';
import { specOf } from './spec.js';
import type { Applied, Observed } from '../model/observed.js';
import type { Plan } from '../model/plan.js';

/** What one planned service looked like when the plan was made. */
export interface PlannedServiceBasis {
  phase: string;
  pid: number | null;
  /** The spec hash `.stack/state.json` recorded as applied. */
  appliedSpecHash: string | null;
  /** The spec hash stack.yaml (with its env files and the service's files) asked for. */
  desiredSpecHash: string | null;
}

export interface SavedPlan {
  formatVersion: 1;
  project: string;
  /** Absolute path of stack.yaml. */
  file: string;
  /** `sha256:<hex>` of stack.yaml's bytes. */
  stackHash: string;
  services: Record<string, PlannedServiceBasis>;
  plan: Plan;
}

export interface PlanBasis {
  desired: Desired;
  stackHash: string;
  observed: Observed;
  applied: Applied;
}

/** Every service the plan acts on or reports, in plan order. */
export function plannedServices(plan: Plan): string[] {
  return [...new Set([...plan.actions.map((action) => action.service), ...plan.blocked.map((entry) => entry.service)])];
}

export function createSavedPlan(plan: Plan, basis: PlanBasis): SavedPlan {
  const services: Record<string, PlannedServiceBasis> = {};
  for (const name of plannedServices(plan)) services[name] = basisOf(name, basis);
  return { formatVersion: 1, project: basis.desired.project, file: basis.desired.file, stackHash: basis.stackHash, services, plan };
}

/** What no longer matches the saved plan, one sentence each; empty when it can be applied as is. */
export function checkSavedPlan(saved: SavedPlan, now: PlanBasis): string[] {
  const problems: string[] = [];
  if (saved.project !== now.desired.project) problems.push(`the plan is for project "${saved.project}", this stack is "${now.desired.project}"`);
  if (saved.stackHash !== now.stackHash) problems.push(`${now.desired.file} changed since the plan was made`);
  // Every planned service is recorded when a plan is saved: one that is not was edited in, and nothing says it is fresh.
  for (const name of plannedServices(saved.plan)) if (!Object.hasOwn(saved.services, name)) problems.push(`the plan acts on ${name} but recorded nothing of it (edited by hand?)`);
  for (const [name, then] of Object.entries(saved.services)) {
    const current = basisOf(name, now);
    if (current.phase !== then.phase) problems.push(`${name} was ${then.phase}, now ${current.phase}`);
    else if (current.pid !== then.pid) problems.push(`${name} runs as pid ${current.pid ?? 'none'}, the plan saw pid ${then.pid ?? 'none'}`);
    if (current.appliedSpecHash !== then.appliedSpecHash) problems.push(`${name} was applied again since the plan was made`);
    if (current.desiredSpecHash !== then.desiredSpecHash && saved.stackHash === now.stackHash) {
      problems.push(`what ${name} runs changed since the plan was made (an env file or a file it reads)`);
    }
  }
  return problems;
}

function basisOf(name: string, basis: PlanBasis): PlannedServiceBasis {
  const observed = basis.observed.get(name);
  const service = basis.desired.services.find((candidate) => candidate.name === name);
  return {
    phase: observed?.phase ?? 'absent',
    pid: observed?.pid ?? null,
    appliedSpecHash: basis.applied.get(name)?.specHash ?? null,
    desiredSpecHash: service?.enabled ? specOf(service).specHash : null,
  };
}
