// Pure: a compose file's text → the services `docker stack deploy` makes of it, as far as the
// plan compares them (image, command, environment, replicas, update config).
import { parse } from 'yaml';
import { splitCommand } from '../../config/command.js';

export interface UpdateConfig {
  parallelism?: number;
  /** Nanoseconds, as the engine keeps durations. */
  delay?: number;
  monitor?: number;
  order?: string;
  failureAction?: string;
  maxFailureRatio?: number;
}

/** One service of the file, interpolated. */
export interface DeclaredService {
  name: string;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  /** Absent in `global` mode (one task per node). */
  replicas?: number;
  /** Only the keys the file writes: the engine fills the others with its defaults. */
  update: UpdateConfig;
  /** `env_file:` entries as written (relative to the file's folder). */
  envFiles: string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The services of a compose file; `envFileText` gives the text of an `env_file:` entry (undefined: unreadable). */
export function declaredServices(text: string, env: Env, envFileText: (file: string) => string | undefined = () => undefined): DeclaredService[] {
  const doc = interpolateAll(parse(text) as unknown, env);
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') return [];
  return Object.entries(services as Record<string, unknown>)
    .map(([name, raw]) => declaredService(name, (raw ?? {}) as Record<string, unknown>, envFileText))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function declaredService(name: string, raw: Record<string, unknown>, envFileText: (file: string) => string | undefined): DeclaredService {
  const deploy = (raw.deploy ?? {}) as Record<string, unknown>;
  const envFiles = listOf(raw.env_file).map((entry) => (typeof entry === 'string' ? entry : String((entry as { path?: unknown }).path ?? '')));
  const env: Record<string, string> = {};
  for (const file of envFiles) Object.assign(env, parseEnvFile(envFileText(file) ?? ''));
  Object.assign(env, environmentOf(raw.environment));
  const service: DeclaredService = { name, env, update: updateConfigOf(deploy.update_config), envFiles };
  if (typeof raw.image === 'string') service.image = raw.image;
  const command = argvOf(raw.command);
  if (command) service.command = command;
  const entrypoint = argvOf(raw.entrypoint);
  if (entrypoint) service.entrypoint = entrypoint;
  if (deploy.mode !== 'global') service.replicas = deploy.replicas === undefined ? 1 : Number(deploy.replicas);
  return service;
}

function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A string is split as docker's stack loader splits it (shell words, no shell); a list is taken as it is. */
function argvOf(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return undefined;
  return splitCommand(value).argv ?? value.split(/\s+/).filter(Boolean);
}

/** `environment:` as a map or a `K=V` list; a key without a value takes nothing here (the engine's own environment). */
function environmentOf(value: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const entry of value.map(String)) {
      const at = entry.indexOf('=');
      if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
      if (entry !== null && entry !== undefined) env[key] = String(entry);
    }
  }
  return env;
}

/** `KEY=VALUE` lines; `#` comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    if (at > 0) env[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1);
  }
  return env;
}

function updateConfigOf(value: unknown): UpdateConfig {
  const raw = (value ?? {}) as Record<string, unknown>;
  const update: UpdateConfig = {};
  if (raw.parallelism !== undefined) update.parallelism = Number(raw.parallelism);
  if (raw.delay !== undefined) update.delay = durationNs(raw.delay);
  if (raw.monitor !== undefined) update.monitor = durationNs(raw.monitor);
  if (typeof raw.order === 'string') update.order = raw.order;
  if (typeof raw.failure_action === 'string') update.failureAction = raw.failure_action;
  if (raw.max_failure_ratio !== undefined) update.maxFailureRatio = Number(raw.max_failure_ratio);
  return update;
}

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A compose duration (`10s`, `1m30s`, `500ms`) in nanoseconds; a bare number is taken as nanoseconds, as Go does. */
export function durationNs(value: unknown): number {
  if (typeof value === 'number') return value;
  let total = 0;
  for (const match of String(value).matchAll(/(\d+(?:\.\d+)?)(ns|us|\u00b5s|ms|s|m|h)/g)) total += Number(match[1]) * (UNIT_NS[match[2] as string] ?? 0);
  return Math.round(total);
}

/** `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `$VAR` and `$$` in every string of the document, as compose reads them. */
function interpolateAll(value: unknown, env: Env): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((entry) => interpolateAll(entry, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, interpolateAll(entry, env)]));
  return value;
}

export function interpolate(text: string, env: Env): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, dollar: string, braced?: string, op?: string, fallback?: string, bare?: string) => {
    if (dollar === '$') return '$';
    const name = (braced ?? bare) as string;
    const value = env[name];
    if (op === ':-' || op === ':?') return value === undefined || value === '' ? (op === ':-' ? (fallback ?? '') : '') : value;
    if (op === '-' || op === '?') return value === undefined ? (op === '-' ? (fallback ?? '') : '') : value;
    return value ?? '';
  });
}
