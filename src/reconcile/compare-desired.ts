/**
 * Two versions of stack.yaml compared as desired states (`stack diff`): which services were
 * added, removed, enabled, disabled, started, stopped, and which fields of their spec changed.
 * Pure: both sides are loaded already; nothing is observed.
 */

import type { Desired, DesiredService } from '../model/desired.js';
import { fieldChanges } from './diff.js';
import { specOf } from './spec.js';
import type { FieldChange } from '../model/plan.js';

export type ServiceChangeKind = 'added' | 'removed' | 'changed';

/** One service that differs between the two sides. */
export interface ServiceDifference {
  service: string;
  change: ServiceChangeKind;
  /** Set when `enabled` differs (or, for an added/removed service, what it was/is). */
  enabled?: { before?: boolean; after?: boolean };
  /** Set when `state` differs. */
  state?: { before?: string; after?: string };
  /** Spec fields (and `dependsOn`, `ports`) that differ, sorted; sensitive values left out. */
  fields: FieldChange[];
}

export interface ComparisonSummary {
  added: number;
  removed: number;
  enabled: number;
  disabled: number;
  started: number;
  stopped: number;
  changed: number;
}

export interface DesiredComparison {
  /** What each side is, for people: `HEAD (1a2b3c4)`, `the working file`. */
  before: string;
  after: string;
  project: { before: string; after: string };
  /** In the after side's manifest order, then removed services in the before side's order. */
  services: ServiceDifference[];
  summary: ComparisonSummary;
}

export interface ComparedSide {
  label: string;
  /** Undefined when stack.yaml does not exist on that side: every service is added (or removed). */
  desired: Desired | undefined;
}

/** Compares two desired states. Paths inside the stack's folder are shown relative to it. */
export function compareDesired(before: ComparedSide, after: ComparedSide): DesiredComparison {
  const old = new Map((before.desired?.services ?? []).map((service) => [service.name, service]));
  const now = new Map((after.desired?.services ?? []).map((service) => [service.name, service]));
  const root = after.desired?.root ?? before.desired?.root;
  const services: ServiceDifference[] = [];
  for (const service of now.values()) {
    const difference = compareService(old.get(service.name), service, root);
    if (difference) services.push(difference);
  }
  for (const service of old.values()) {
    if (!now.has(service.name)) services.push(compareService(service, undefined, root) as ServiceDifference);
  }
  return {
    before: before.label,
    after: after.label,
    project: { before: before.desired?.project ?? '', after: after.desired?.project ?? '' },
    services,
    summary: summarize(services),
  };
}

/** True when the two sides want the same thing. */
export function isSameDesired(comparison: DesiredComparison): boolean {
  return comparison.services.length === 0;
}

function compareService(before: DesiredService | undefined, after: DesiredService | undefined, root: string | undefined): ServiceDifference | undefined {
  const name = (after ?? before)?.name as string;
  const sensitive = [...new Set([...(before?.sensitive ?? []), ...(after?.sensitive ?? [])])];
  const fields = fieldChanges(fieldsOf(before, root), fieldsOf(after, root), sensitive);
  if (!before || !after) {
    const present = (after ?? before) as DesiredService;
    const side = after ? 'after' : 'before';
    return {
      service: name,
      change: after ? 'added' : 'removed',
      enabled: { [side]: present.enabled },
      state: { [side]: present.state },
      fields,
    };
  }
  const difference: ServiceDifference = { service: name, change: 'changed', fields };
  if (before.enabled !== after.enabled) difference.enabled = { before: before.enabled, after: after.enabled };
  if (before.state !== after.state) difference.state = { before: before.state, after: after.state };
  const differs = difference.enabled !== undefined || difference.state !== undefined || fields.length > 0;
  return differs ? difference : undefined;
}

/** The spec's fields plus what decides ordering and port checks, paths shown relative to the stack. */
function fieldsOf(service: DesiredService | undefined, root: string | undefined): Record<string, string> {
  if (!service) return {};
  const fields: Record<string, string> = { ...specOf(service).fields };
  if (service.dependsOn.length > 0) fields.dependsOn = JSON.stringify(service.dependsOn);
  if (service.ports.length > 0) fields.ports = JSON.stringify(service.ports.map((port) => (port.host ? `${port.host}:${port.port}` : String(port.port))));
  if (root === undefined) return fields;
  for (const key of Object.keys(fields)) fields[key] = relativeToRoot(fields[key] as string, root);
  return fields;
}

// `/home/ci/work/app/bot` → `./bot`: a reviewer's diff should not depend on where it was checked out.
function relativeToRoot(value: string, root: string): string {
  if (value === root) return '.';
  return value.split(`${root}/`).join('./');
}

function summarize(services: readonly ServiceDifference[]): ComparisonSummary {
  const summary: ComparisonSummary = { added: 0, removed: 0, enabled: 0, disabled: 0, started: 0, stopped: 0, changed: 0 };
  for (const entry of services) {
    if (entry.change === 'added') summary.added += 1;
    else if (entry.change === 'removed') summary.removed += 1;
    else {
      if (entry.enabled) summary[entry.enabled.after ? 'enabled' : 'disabled'] += 1;
      if (entry.state) summary[entry.state.after === 'running' ? 'started' : 'stopped'] += 1;
      if (entry.fields.length > 0) summary.changed += 1;
    }
  }
  return summary;
}

/** `web: stopped, spec changed (command, env.LOG_LEVEL)`: what happened to one service, in words. */
export function describeDifference(entry: ServiceDifference): string {
  if (entry.change === 'added') {
    const how = entry.enabled?.after === false ? 'disabled' : entry.state?.after === 'stopped' ? 'stopped' : 'running';
    return `added (${how})`;
  }
  if (entry.change === 'removed') return 'removed';
  const parts: string[] = [];
  if (entry.enabled) parts.push(entry.enabled.after ? 'enabled' : 'disabled');
  if (entry.state) parts.push(entry.state.after === 'running' ? 'started (state: running)' : 'stopped (state: stopped)');
  if (entry.fields.length > 0) parts.push(`changed: ${entry.fields.map((field) => (field.sensitive ? `${field.field} (sensitive)` : field.field)).join(', ')}`);
  return parts.join('; ');
}

/** `2 added, 1 stopped, 1 changed`, or `no differences`. */
export function describeSummary(summary: ComparisonSummary): string {
  const parts = Object.entries(summary).filter(([, count]) => count > 0).map(([word, count]) => `${count} ${word}`);
  return parts.length === 0 ? 'no differences' : parts.join(', ');
}

/** The symbol a difference is drawn with, like the plan's: + added/started/enabled, - removed/stopped/disabled, ~ changed. */
export function differenceSymbol(entry: ServiceDifference): '+' | '-' | '~' {
  if (entry.change === 'added') return '+';
  if (entry.change === 'removed') return '-';
  if (entry.fields.length > 0) return '~';
  if (entry.enabled) return entry.enabled.after ? '+' : '-';
  return entry.state?.after === 'running' ? '+' : '-';
}
