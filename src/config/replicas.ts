/**
 * `replicas: N`: one process service run as N processes named `web.0` … `web.N-1` (no written
 * name has a dot, so none collides), each with `STACK_REPLICA` in its env and ports of its own.
 * Past resolve, a replica is a service like any other: planned, started, logged and shown alone.
 * Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { DesiredService, DependencyCondition } from '../model/desired.js';
import { issueAt } from './issues.js';
import type { Locate } from './issues.js';
import { portsClash } from './semantic.js';
import { parsePort } from './units.js';

export const MAX_REPLICAS = 64;

/** The variable a replicated service's strings may use: `${replica}` is 0..N-1. */
export const REPLICA_VARIABLE = 'replica';

/** What each replica's process finds in its env. */
export const REPLICA_ENV = 'STACK_REPLICA';

/** A service's own name, or one replica's: `web`, `web.2`. State, log and marker files accept both. */
export const SERVICE_OR_REPLICA_NAME = /^[a-z0-9][a-z0-9_-]{0,62}(?:\.(?:0|[1-9][0-9]?))?$/;

/** N when the service as written asks for replicas; anything else is left to the schema's issues. */
export function replicaCount(service: unknown): number | undefined {
  const count = (service as { replicas?: unknown } | null | undefined)?.replicas;
  return typeof count === 'number' && Number.isInteger(count) && count >= 1 && count <= MAX_REPLICAS ? count : undefined;
}

export function replicaName(name: string, replica: number): string {
  return `${name}.${replica}`;
}

type Port = string | number;

/**
 * One replica's service as written: `STACK_REPLICA` added to its env, and each port that reads
 * the same as replica 0's (it does not use `${replica}`) moved up by the replica's number, so
 * `ports: [8080]` is 8080, 8081, 8082.
 */
export function replicaInput<T extends { env?: Record<string, unknown>; ports?: Port[] | Record<string, unknown> }>(own: T, first: T, replica: number): T {
  // The map form's ports are each replica's own already (config/named-ports.ts).
  const written = Array.isArray(own.ports) ? own.ports : undefined;
  const firsts = Array.isArray(first.ports) ? first.ports : undefined;
  const ports = written?.map((port, index) => (replica > 0 && port === firsts?.[index] ? offsetPort(port, replica) : port));
  return { ...own, env: { ...own.env, [REPLICA_ENV]: String(replica) }, ...(ports ? { ports } : {}) };
}

function offsetPort(port: Port, by: number): Port {
  const spec = parsePort(port);
  if (!spec) return port;
  return spec.host === undefined ? spec.port + by : `${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port + by}`;
}

/** A port moved past 65535 by its replica's number, at the port as written. */
export function checkReplicaPorts(name: string, service: Readonly<Record<string, unknown>>, locate: Locate): ConfigIssue[] {
  const count = replicaCount(service);
  if (count === undefined || !Array.isArray(service.ports)) return [];
  return service.ports.flatMap((port: unknown, index) => {
    const spec = typeof port === 'number' || typeof port === 'string' ? parsePort(port) : undefined;
    if (!spec || spec.port + count - 1 <= 65535) return [];
    const message = `port ${spec.port} of ${count} replicas goes past 65535 (each replica's port is one more)`;
    return [issueAt(locate, ['services', name, 'ports', index], message, 'use a lower port, or write the port with ${replica}')];
  });
}

/**
 * A port of a replica past the first (moved up, or written with `${replica}`) that another
 * service, or another replica, declares too: at the port as written. The first replica's ports
 * are the document's, which semantic.ts checks.
 */
export function checkReplicaPortClashes(services: readonly DesiredService[], locate: Locate): ConfigIssue[] {
  const later = (service: DesiredService): boolean => (service.replica ?? 0) > 0;
  const running = services.filter((service) => service.enabled);
  const claimed = running.filter((service) => !later(service)).flatMap((service) => service.ports.map((spec) => ({ name: service.name, spec })));
  const issues: ConfigIssue[] = [];
  for (const service of running.filter(later)) {
    service.ports.forEach((spec, index) => {
      const owner = claimed.find((claim) => portsClash(claim.spec, spec));
      if (owner) {
        const message = `port ${spec.port} of replica ${service.name} is declared by ${owner.name} too`;
        issues.push(issueAt(locate, ['services', service.replicaOf as string, 'ports', index], message, "each replica's port is the port written plus its number: leave room, or write the port with ${replica}"));
      }
      claimed.push({ name: service.name, spec });
    });
  }
  return issues;
}

/** `dependsOn: [web]` means every replica of web; a replica depends on what web depends on. */
export function dependOnReplicas(services: DesiredService[]): DesiredService[] {
  const replicasOf = new Map<string, string[]>();
  for (const service of services) if (service.replicaOf !== undefined) replicasOf.set(service.replicaOf, [...(replicasOf.get(service.replicaOf) ?? []), service.name]);
  if (replicasOf.size === 0) return services;
  return services.map((service) => {
    const dependsOn = service.dependsOn.flatMap((name) => replicasOf.get(name) ?? [name]);
    // A condition written for `web` holds for each of its replicas.
    const written = service.conditions;
    if (written === undefined) return { ...service, dependsOn };
    const conditions: Record<string, DependencyCondition> = {};
    for (const name of service.dependsOn) {
      const condition = written[name];
      if (condition !== undefined) for (const each of replicasOf.get(name) ?? [name]) conditions[each] = condition;
    }
    return { ...service, dependsOn, conditions };
  });
}

/**
 * The services a user means by `names`, among `known` (the services declared, recorded or shown):
 * a name that is none of them but has replicas there (`web` → `web.0`, `web.1`) means every one;
 * other names as given. Order kept, each once.
 */
export function expandReplicaNames(known: readonly string[], names: readonly string[]): string[] {
  const declared = new Set(known);
  return [
    ...new Set(
      names.flatMap((name) => {
        if (declared.has(name)) return [name];
        const replicas = known.filter((other) => other.startsWith(`${name}.`) && /^\d+$/.test(other.slice(name.length + 1)));
        return replicas.length > 0 ? [...new Set(replicas)].sort(byReplica) : [name];
      }),
    ),
  ];
}

const byReplica = (a: string, b: string): number => Number(a.slice(a.lastIndexOf('.') + 1)) - Number(b.slice(b.lastIndexOf('.') + 1));
