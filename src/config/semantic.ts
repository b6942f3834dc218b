/**
 * Rules across keys and services: names, dependencies, cycles, ports and values no process can
 * receive. Reads the raw document defensively, so these issues appear alongside schema issues. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { findCycle } from './graph.js';
import { escapeControls, issueAt, quote, suggest } from './issues.js';
import type { Locate } from './issues.js';
import { asRecord, checkService } from './service-rules.js';
import { checkProcessValues } from './process-values.js';
import { checkTasks } from './task-rules.js';
import { checkDevLoop } from './dev-rules.js';
import { parsePort, parsePortWant } from './units.js';
import type { PortSpec } from '../model/desired.js';

export const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function checkSemantics(document: unknown, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const project = asRecord(document)?.project;
  const projectIssues =
    typeof project === 'string' && project !== '' && !SERVICE_NAME.test(project)
      ? [issueAt(locate, ['project'], `project name ${quote(project)} is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)`, 'the project names .stack/ and docker compose projects')]
      : [];
  const services = asRecord(asRecord(document)?.services);
  if (!services) return projectIssues;
  const entries = Object.entries(services).flatMap(([name, value]) => {
    const service = asRecord(value);
    return service ? [{ name, service }] : [];
  });
  return [
    ...projectIssues,
    ...checkNames(Object.keys(services), locate),
    ...entries.flatMap(({ name, service }) => [...checkService(name, service, locate, providers), ...checkProcessValues(name, service, locate, providers)]),
    ...checkDependencies(entries, locate),
    ...checkTasks(entries, locate, providers),
    ...checkDevLoop(entries, locate, providers),
    ...checkPorts(entries, locate),
  ];
}

interface Entry {
  name: string;
  service: Record<string, unknown>;
}

function checkNames(names: string[], locate: Locate): ConfigIssue[] {
  return names
    .filter((name) => !SERVICE_NAME.test(name))
    .map((name) =>
      issueAt(
        locate,
        ['services', name],
        `service name ${quote(name)} is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)`,
        'names become file names under .stack/ and docker compose project names',
      ),
    );
}

/** Each dependency as written, with the path it is at (`dependsOn.0` in the list form, `dependsOn.db` in the map form). */
function dependencyEntries(service: Record<string, unknown>): { dep: unknown; key: string | number }[] {
  if (Array.isArray(service.dependsOn)) return service.dependsOn.map((dep: unknown, index) => ({ dep, key: index }));
  const map = asRecord(service.dependsOn);
  return map ? Object.keys(map).map((dep) => ({ dep, key: dep })) : [];
}

function dependsOnOf(service: Record<string, unknown>): unknown[] {
  return dependencyEntries(service).map((entry) => entry.dep);
}

function checkDependencies(entries: Entry[], locate: Locate): ConfigIssue[] {
  const names = entries.map((entry) => entry.name);
  const known = new Set(names);
  const issues: ConfigIssue[] = [];
  for (const { name, service } of entries) {
    dependencyEntries(service).forEach(({ dep, key }) => {
      if (typeof dep !== 'string') return;
      const at = ['services', name, 'dependsOn', key];
      if (dep === name) issues.push(issueAt(locate, at, `service ${quote(name)} depends on itself`));
      else if (!known.has(dep)) {
        const guess = suggest(dep, names.filter((other) => other !== name));
        const message = `service ${quote(name)} depends on ${quote(dep)}, which is not a service in this file${guess ? ` (did you mean ${quote(guess)}?)` : ''}`;
        issues.push(issueAt(locate, at, message));
      }
    });
  }
  const services = new Map(entries.map((entry) => [entry.name, entry.service]));
  const nodes = entries.map(({ name, service }) => ({
    name,
    dependsOn: dependsOnOf(service).filter((dep): dep is string => typeof dep === 'string' && dep !== name),
  }));
  const cycle = findCycle(nodes);
  if (cycle) {
    const first = cycle[0] as string;
    const entry = dependencyEntries(services.get(first) ?? {}).find(({ dep }) => dep === cycle[1]);
    issues.push(issueAt(locate, ['services', first, 'dependsOn', entry?.key ?? 0], `dependency cycle: ${cycle.join(' → ')}`, 'remove one of these dependsOn entries'));
  }
  return issues;
}

const ANY_HOST = new Set([undefined, '0.0.0.0', '::', '*']);

/** Two ports clash when the numbers match and the hosts match or either listens on every address. */
export function portsClash(a: PortSpec, b: PortSpec): boolean {
  return a.port === b.port && (a.host === b.host || ANY_HOST.has(a.host) || ANY_HOST.has(b.host));
}

// Disabled services never run, so their ports cannot clash with anything.
function checkPorts(entries: Entry[], locate: Locate): ConfigIssue[] {
  const claimed: { name: string; spec: PortSpec; text: string }[] = [];
  const issues: ConfigIssue[] = [];
  for (const { name, service } of entries) {
    if (service.enabled === false) continue;
    // The map form's fixed ports clash like the list's; its auto ones are picked apart from them.
    const written: [string | number, unknown][] = Array.isArray(service.ports) ? service.ports.map((value: unknown, index) => [index, value]) : Object.entries(asRecord(service.ports) ?? {});
    written.forEach(([index, value]) => {
      if (typeof value !== 'string' && typeof value !== 'number') return;
      const want = Array.isArray(service.ports) ? undefined : parsePortWant(value);
      const spec = want ? (want.kind === 'fixed' ? want.spec : undefined) : parsePort(value);
      if (!spec) return;
      const text = escapeControls(String(value));
      const owner = claimed.find((claim) => portsClash(claim.spec, spec));
      if (owner?.name === name) {
        const message = `port ${spec.port} is declared twice by ${quote(name)} (${owner.text} and ${text})`;
        issues.push(issueAt(locate, ['services', name, 'ports', index], message, 'a service cannot listen on the same port twice'));
      } else if (owner) {
        const message = `port ${spec.port} is declared by both ${quote(owner.name)} (${owner.text}) and ${quote(name)} (${text})`;
        issues.push(issueAt(locate, ['services', name, 'ports', index], message, 'two services cannot listen on the same port'));
      }
      claimed.push({ name, spec, text });
    });
  }
  return issues;
}
