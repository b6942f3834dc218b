import type { DesiredService } from '../model/desired.js';
import { isSensitiveKey } from '../config/sensitive.js';
import { formatSize } from '../config/units.js';
import { canonicalJson, hashString } from './hash.js';

/** A service's spec in the form the planner compares and the state file records. */
export interface ServiceSpec {
  /** Hash of every field as recorded (a secret by its keyed digest): a changed secret changes it too. */
  specHash: string;
  /** Hash of what the install step depends on. */
  installHash: string;
  /** Flattened spec, keys sorted; sensitive values replaced by their digest (`key:` keyed, `sha:` unkeyed). */
  fields: Record<string, string>;
  /**
   * How a stack before keyed digests recorded this spec (hashes of the real values, unkeyed
   * `sha:` digests); present only when the service has sensitive fields, where they differ. A
   * record matching it counts as unchanged and is rewritten keyed.
   */
  legacy?: { specHash: string; installHash: string; fields: Record<string, string> };
}

const ENV_PREFIXES = ['env.', 'compose.env.', 'swarm.env.'];

// A loaded service is never changed afterwards: its spec is computed once (an apply asks for it
// several times per service).
const specs = new WeakMap<DesiredService, ServiceSpec>();

/**
 * The canonical spec of a service: only what changes how it runs, so only a change to one of
 * these restarts it. Left out on purpose: start, stop, restart, logs, dependsOn and ports (they change
 * how stack manages the service, not the service), and `ready`/`health`/`compose.wait` (a new
 * probe is picked up by the next start or check; restarting a healthy service to re-probe it
 * would only cause downtime). A service that gave up is judged on all of them (give-up.ts): an
 * edit of its `ready` gives it a new chance, though it restarts nothing that runs.
 */
export function specOf(service: DesiredService): ServiceSpec {
  let spec = specs.get(service);
  if (!spec) {
    spec = computeSpec(service);
    specs.set(service, spec);
  }
  return spec;
}

function computeSpec(service: DesiredService): ServiceSpec {
  const values = specValues(service);
  const fields: Record<string, string> = {};
  const legacyFields: Record<string, string> = {};
  for (const key of Object.keys(values).sort()) {
    const value = values[key] as string;
    const sensitive = isSensitiveField(key, service.sensitive);
    legacyFields[key] = sensitive ? digestOf(service.name, key, value) : value;
    fields[key] = sensitive ? (service.sealed?.[key] ?? (legacyFields[key] as string)) : value;
  }
  // Hashed as recorded, so neither hash holds a secret that a guess could be checked against.
  const install = ['provider', ...service.providerSpec.install];
  const spec = { specHash: hashString(canonicalJson(fields)), installHash: hashString(canonicalJson(pick(fields, install))), fields };
  if (Object.keys(values).every((key) => fields[key] === values[key])) return spec;
  const legacy = { specHash: hashString(canonicalJson(values)), installHash: hashString(canonicalJson(pick(values, install))), fields: legacyFields };
  return { ...spec, legacy };
}

function pick(record: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) if (key in record) picked[key] = record[key] as string;
  return picked;
}

/** The real values of a service's sensitive spec fields, which `sealed` gives the keyed digests of. */
export function sensitiveValues(service: DesiredService): Record<string, string> {
  const values = specValues(service);
  const found: Record<string, string> = {};
  for (const key of Object.keys(values)) if (isSensitiveField(key, service.sensitive)) found[key] = values[key] as string;
  return found;
}

/** Whether `recorded` (a state record's hashes) is the spec `spec` describes, keyed or as an older stack recorded it. */
export function recordedAs(spec: ServiceSpec, recorded: { specHash: string } | undefined, hash: 'specHash' | 'installHash' = 'specHash'): boolean {
  if (recorded === undefined) return false;
  const value = (recorded as { specHash: string; installHash?: string })[hash];
  return value === spec[hash] || (spec.legacy !== undefined && value === spec.legacy[hash]);
}

/** True when a field's value must never be printed. */
export function isSensitiveField(field: string, sensitive: readonly string[]): boolean {
  if (sensitive.includes(field)) return true;
  const prefix = ENV_PREFIXES.find((candidate) => field.startsWith(candidate));
  if (prefix === undefined) return false;
  const key = field.slice(prefix.length);
  return isSensitiveKey(key, sensitive);
}

/** argv as one readable, unambiguous string: plain words bare, anything else JSON-quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(' ');
}

// Salted with service and field so equal secrets in two places do not show as equal digests.
function digestOf(service: string, field: string, value: string): string {
  return `sha:${hashString(`${service}\u0000${field}\u0000${value}`)}`;
}

// The provider's own fields come from its module, flattened when the service was resolved.
function specValues(service: DesiredService): Record<string, string> {
  const values: Record<string, string> = { provider: service.provider, ...service.providerSpec.values, ...taskValues(service), ...limitValues(service) };
  if (service.filesDigest !== undefined) values[service.providerSpec.files] = service.filesDigest;
  return values;
}

// Only for tasks: the spec hash of every other service stays what it was.
function taskValues(service: DesiredService): Record<string, string> {
  if (service.task === undefined) return {};
  const { successExitCodes, inputs } = service.task;
  return { kind: 'task', successExitCodes: successExitCodes.join(','), ...(inputs.length > 0 ? { inputs: JSON.stringify(inputs) } : {}) };
}

// Only the limits written: the spec hash of a service without them stays what it was. A changed
// limit restarts the service, which then starts in a group with the new one.
function limitValues(service: DesiredService): Record<string, string> {
  const limits = service.limits;
  if (limits === undefined) return {};
  return {
    ...(limits.memoryBytes === undefined ? {} : { 'limits.memory': formatSize(limits.memoryBytes) }),
    ...(limits.cpu === undefined ? {} : { 'limits.cpu': String(limits.cpu) }),
    ...(limits.pids === undefined ? {} : { 'limits.pids': String(limits.pids) }),
  };
}

/** A record's entries as fields under `prefix` (`env.` + `PORT`), values as text. */
export function prefixedFields(prefix: string, record: Readonly<Record<string, string | number>>): Record<string, string> {
  return Object.fromEntries(Object.keys(record).map((key) => [prefix + key, String(record[key])]));
}
