/**
 * Named ports, the map form of `ports:` (`ports: { http: auto, admin: 9090, debug: "auto:7000-7999" }`):
 * what each copy of a stack asks for, and how `${ports.<service>.<name>}` finds the number.
 * Which free port an `auto` gets is decided outside the pure core (load/named-ports.ts), once
 * per stack folder, and passed back in as a `PortAllocation`. Pure.
 */

import type { PortSpec } from '../model/desired.js';
import { interpolateString } from './interpolate.js';
import { replicaCount } from './replicas.js';
import { asRecord } from './service-rules.js';
import { parsePortWant, PORT_NAME } from './units.js';
import type { PortWant } from './units.js';

/** Where interpolation looks ports up: `${ports.web.http}` reads the variable `ports.web.http`. */
export const PORTS_PREFIX = 'ports.';

/** One named port of one copy of a service (each replica has its own). */
export interface PortRequest {
  /** `web.http`, or `web.2.http` for a replica: the key in `.stack/ports.json` and in a `PortAllocation`. */
  key: string;
  service: string;
  replica?: number;
  name: string;
  want: PortWant;
}

/** The number each named port has in this copy of the stack, by `PortRequest.key`. */
export type PortAllocation = ReadonlyMap<string, number>;

export function portKey(service: string, name: string, replica?: number): string {
  return replica === undefined ? `${service}.${name}` : `${service}.${replica}.${name}`;
}

/**
 * The named ports the document asks for, in file order; values that are not ports are left to
 * the schema's issues. A map value may use `${VAR}` (`http: ${HTTP_PORT:-auto}`), never a port.
 * A fixed port of a replica is the port written plus its number, as in the list form.
 */
export function listPortRequests(document: unknown, lookup: (name: string) => string | undefined): PortRequest[] {
  const services = asRecord(asRecord(document)?.services) ?? {};
  const requests: PortRequest[] = [];
  for (const [service, body] of Object.entries(services)) {
    const ports = asRecord(asRecord(body)?.ports);
    if (!ports || Array.isArray(asRecord(body)?.ports)) continue;
    const count = replicaCount(body);
    for (const [name, written] of Object.entries(ports)) {
      const value = typeof written === 'string' ? interpolateString(written, (variable) => (variable.startsWith(PORTS_PREFIX) ? undefined : lookup(variable))).value : written;
      const want = PORT_NAME.test(name) ? parsePortWant(value) : undefined;
      if (!want) continue;
      if (count === undefined) requests.push({ key: portKey(service, name), service, name, want });
      else for (let replica = 0; replica < count; replica += 1) requests.push({ key: portKey(service, name, replica), service, replica, name, want: offsetWant(want, replica) });
    }
  }
  return requests;
}

function offsetWant(want: PortWant, by: number): PortWant {
  return want.kind === 'fixed' ? { kind: 'fixed', spec: { ...want.spec, port: want.spec.port + by } } : want;
}

/** The requests an allocation does not answer: auto ones it has no port for. */
export function unallocated(requests: readonly PortRequest[], allocation: PortAllocation | undefined): PortRequest[] {
  return requests.filter((request) => request.want.kind === 'auto' && allocation?.get(request.key) === undefined);
}

/** Every named port's number: fixed ones as written, auto ones as allocated. */
export function portValues(requests: readonly PortRequest[], allocation: PortAllocation | undefined): Map<string, number> {
  const values = new Map<string, number>();
  for (const request of requests) {
    const port = request.want.kind === 'fixed' ? request.want.spec.port : allocation?.get(request.key);
    if (port !== undefined) values.set(request.key, port);
  }
  return values;
}

/**
 * The key `${ports.<reference>}` means, read from inside `service` (replica `replica` of it when it
 * is replicated); `replicated` says which services have replicas. A replicated service's port is
 * named with its replica from elsewhere (`ports.web.1.http`), and is the replica's own inside it.
 */
export function referencedKey(reference: string, from: { service?: string; replica: number }, replicated: (service: string) => boolean): { key: string } | { error: string } {
  const parts = reference.split('.');
  if (parts.length === 2) {
    const [service, name] = parts as [string, string];
    if (!replicated(service)) return { key: portKey(service, name) };
    if (from.service === service) return { key: portKey(service, name, from.replica) };
    return { error: `service ${service} has replicas: name one, as in \${ports.${service}.0.${name}}` };
  }
  if (parts.length === 3 && /^(?:0|[1-9][0-9]?)$/.test(parts[1] as string)) return { key: portKey(parts[0] as string, parts[2] as string, Number(parts[1])) };
  return { error: 'expected ${ports.<service>.<name>}' };
}

/** A service's named ports as PortSpecs, in the order written: what conflict checks and `status` read. */
export function namedPortSpecs(service: string, replica: number | undefined, ports: Readonly<Record<string, unknown>>, values: ReadonlyMap<string, number>): { specs: PortSpec[]; named: Record<string, number> } {
  const specs: PortSpec[] = [];
  const named: Record<string, number> = {};
  for (const [name, written] of Object.entries(ports)) {
    const port = values.get(portKey(service, name, replica));
    if (port === undefined) continue;
    const want = parsePortWant(written);
    const host = want?.kind === 'fixed' ? want.spec.host : undefined;
    specs.push(host === undefined ? { port, ...(want?.kind === 'auto' ? { auto: true as const } : {}) } : { host, port });
    named[name] = port;
  }
  return { specs, named };
}
