/**
 * Interpolation applied to every string value of the parsed stack.yaml (never to keys), before
 * validation, so every later step sees the final text. Pure: the variables are passed in.
 */

import type { ConfigIssue, SourcePosition } from '../model/errors.js';
import { interpolateString } from './interpolate.js';
import { escapeControls, formatPath, locateNearest, quote } from './issues.js';
import type { KeyPath, Locate } from './issues.js';
import { isSensitiveKey } from './sensitive.js';
import { asRecord } from './service-rules.js';
import { REPLICA_VARIABLE, replicaCount } from './replicas.js';
import { PORTS_PREFIX, referencedKey } from './named-ports.js';

/** The variables interpolation sees, and where each came from. */
export interface Variables {
  /** The caller's environment (wins over `dotEnv`). */
  env: Readonly<Record<string, string | undefined>>;
  /** `.env` beside stack.yaml, parsed. */
  dotEnv: Readonly<Record<string, string>>;
  /** Every named port's number by key (`web.http`, `web.1.http`): what `${ports.web.http}` reads. */
  ports?: ReadonlyMap<string, number>;
}

/** A variable whose value went into a string of the document. */
export interface VariableUse {
  path: KeyPath;
  name: string;
  value: string;
  /** Its value is a secret: named like one, listed in the service's `sensitive:`, or read from `.env`. */
  sensitive: boolean;
}

/** A `${NAME:?message}` whose variable is not set. */
export interface MissingVariable {
  name: string;
  service?: string;
  path: string;
  position?: SourcePosition;
  message: string;
}

/** A variable written bare (`$NAME`, `${NAME}`) that is not set: it became an empty string. */
export interface UnsetVariable {
  name: string;
  path: string;
  position?: SourcePosition;
}

export interface InterpolatedDocument {
  document: unknown;
  uses: VariableUse[];
  missing: MissingVariable[];
  /** Warnings, not errors (compose defaults them to a blank string too). */
  unset: UnsetVariable[];
  /** Syntax errors, and the missing variables as issues. */
  issues: ConfigIssue[];
}

/**
 * Interpolates the document. `locateValue` finds a value's own position (not its key's), so an
 * error points at the text that holds the `${...}`.
 */
export function interpolateDocument(document: unknown, variables: Variables, locateValue: Locate, replica = 0): InterpolatedDocument {
  return interpolateAt(document, [], document, variables, locateValue, replica);
}

/**
 * Each service with `replicas: N` as each of its replicas sees it: `${replica}` is 0 in the
 * document interpolateDocument gives, 0..N-1 here (resolve.ts makes one service of each).
 */
export function interpolateReplicas(document: unknown, variables: Variables, locateValue: Locate): Map<string, unknown[]> {
  const services = asRecord(asRecord(document)?.services) ?? {};
  const replicated = new Map<string, unknown[]>();
  for (const [name, service] of Object.entries(services)) {
    const count = replicaCount(service) ?? 0;
    const path = ['services', name];
    if (count > 0) replicated.set(name, Array.from({ length: count }, (_, replica) => interpolateAt(service, path, document, variables, locateValue, replica).document));
  }
  return replicated;
}

function interpolateAt(value: unknown, at: KeyPath, document: unknown, variables: Variables, locateValue: Locate, replica: number): InterpolatedDocument {
  const uses: VariableUse[] = [];
  const missing: MissingVariable[] = [];
  const unset: UnsetVariable[] = [];
  const issues: ConfigIssue[] = [];
  const fromDotEnv = (name: string): boolean => variables.env[name] === undefined && variables.dotEnv[name] !== undefined;
  const services = asRecord(asRecord(document)?.services) ?? {};

  // A port's number, or why `${ports.…}` names none.
  const portOf = (name: string, service: string | undefined): number | string => {
    const reference = name.slice(PORTS_PREFIX.length);
    const found = referencedKey(reference, { service, replica }, (other) => replicaCount(services[other]) !== undefined);
    if ('error' in found) return `\${${name}}: ${found.error}`;
    const port = variables.ports?.get(found.key);
    if (port !== undefined) return port;
    const [owner] = reference.split('.');
    const known = [...(variables.ports?.keys() ?? [])].filter((key) => key.startsWith(`${owner}.`)).map((key) => key.slice(key.lastIndexOf('.') + 1));
    const declares = owner !== undefined && services[owner] !== undefined ? `service ${owner} names ${known.length === 0 ? 'no ports' : `only ${[...new Set(known)].join(', ')}`}` : `there is no service ${owner ?? ''}`;
    return `unknown port \${${name}}: ${declares}`;
  };

  // The key path of the value being walked: one array, pushed and popped, copied only for a
  // value that names a variable (a copy per key and index, with a defineProperty each, was ~13
  // of the walk's 15 ms over 1,000 services).
  const here: (string | number)[] = [...at];
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      // Most values name no variable: interpolateString would give them back as they are, with
      // nothing used, unset or wrong (the closures and the service's sensitive list below were
      // ~15 ms of a stack.yaml of 1,000 services).
      if (!value.includes('$')) return value;
      return interpolateValue(value, [...here]);
    }
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let index = 0; index < value.length; index++) {
        here.push(index);
        out[index] = walk(value[index]);
        here.pop();
      }
      return out;
    }
    const record = asRecord(value);
    if (!record) return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record)) {
      here.push(key);
      const walked = walk(record[key]);
      here.pop();
      // A `__proto__` key must stay a plain key, not become the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: walked, enumerable: true, writable: true, configurable: true });
      else out[key] = walked;
    }
    return out;
  };

  const interpolateValue = (value: string, path: KeyPath): string => {
    const service = path[0] === 'services' && typeof path[1] === 'string' ? path[1] : undefined;
    // Inside a service, `replica` is the replica's number: no variable of the environment. (A
    // wrong `replicas:` value is the schema's issue, not a second one here.)
    const replicated = service !== undefined && asRecord(services[service])?.replicas !== undefined;
    let askedReplica = false;
    const portErrors: string[] = [];
    const lookup = (name: string): string | undefined => {
      if (name.startsWith(PORTS_PREFIX)) {
        const port = portOf(name, service);
        if (typeof port === 'string') portErrors.push(port);
        return typeof port === 'number' ? String(port) : undefined;
      }
      if (name !== REPLICA_VARIABLE || service === undefined) return variables.env[name] ?? variables.dotEnv[name];
      askedReplica = true;
      return replicated ? String(replica) : undefined;
    };
    const result = interpolateString(value, lookup);
    if (askedReplica && !replicated) {
      const position = locateNearest(locateValue, path);
      issues.push({ message: `\${replica} is known only in a service that sets replicas`, path: formatPath(path), position, hint: 'add replicas: N to the service, or write $${replica} to leave it to the program' });
    }
    for (const message of new Set(portErrors)) {
      const hint = message.endsWith('names no ports') ? { hint: 'a service names its ports in the map form: ports: { http: auto }' } : {};
      issues.push({ message, path: formatPath(path), position: locateNearest(locateValue, path), ...hint });
    }
    const listed = sensitiveListOf(service === undefined ? undefined : services[service]);
    for (const name of result.used.filter((used) => !(replicated && used === REPLICA_VARIABLE) && !used.startsWith(PORTS_PREFIX))) {
      const sensitive = isSensitiveKey(name, listed) || fromDotEnv(name);
      uses.push({ path, name, value: lookup(name) ?? '', sensitive });
    }
    for (const name of result.unset.filter((each) => !(askedReplica && each === REPLICA_VARIABLE) && !each.startsWith(PORTS_PREFIX))) {
      const position = locateNearest(locateValue, path);
      unset.push({ name, path: formatPath(path), ...(position ? { position } : {}) });
    }
    for (const error of result.errors) {
      const position = locateNearest(locateValue, path);
      const owner = service === undefined ? '' : ` by service ${quote(service)}`;
      if (error.kind === 'required') {
        const why = error.message === '' ? 'is not set' : `is not set: ${escapeControls(error.message)}`;
        const message = `variable ${error.name} is required${owner} but ${why}`;
        missing.push({ name: error.name, path: formatPath(path), message, ...(service ? { service } : {}), ...(position ? { position } : {}) });
        issues.push({ message, path: formatPath(path), position, hint: `set ${error.name} in the environment or in .env beside stack.yaml` });
      } else {
        issues.push({ message: error.message, path: formatPath(path), position });
      }
    }
    return result.value;
  };
  return { document: walk(value), uses, missing, unset, issues };
}

function sensitiveListOf(service: unknown): string[] {
  const list = asRecord(service)?.sensitive;
  return Array.isArray(list) ? list.filter((key): key is string => typeof key === 'string') : [];
}
