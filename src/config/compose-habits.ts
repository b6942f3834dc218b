/**
 * What people carry over from docker compose, said in stack's terms: a compose key stack does
 * not have, or a value written as compose writes it, gets the exact stack form as its hint.
 * The keys stay invalid; only the words change. Hints quote no values a secret could hide in. Pure.
 */

import type { KeyPath } from './issues.js';
import { SIGNALS } from './signals.js';
import { DURATION_PATTERN } from './units.js';

/** What stack calls a compose key (`instead`, for "did you mean"), and how to write it. */
export interface Habit {
  instead?: string;
  hint: string;
}

const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const CONTAINER_KEYS = new Set(['image', 'build', 'container_name', 'volumes', 'networks', 'expose', 'deploy', 'pull_policy', 'privileged', 'cap_add', 'devices']);
const COMPOSE_TOP_KEYS = new Set(['volumes', 'networks', 'secrets', 'configs']);
const RUN_COMPOSE = 'a docker-compose.yml runs as a service with provider: compose and compose: { file: ./docker-compose.yml }';
const CONDITIONS: Record<string, string> = {
  service_started: 'started',
  service_healthy: 'ready',
  service_completed_successfully: 'completed',
};

/** The habit behind `key`, unknown in the map at `path` of stack.yaml, holding `value`. */
export function composeKeyHabit(path: KeyPath, key: string, value: unknown): Habit | undefined {
  if (path.length === 0) return topLevelHabit(key, value);
  if (path.length === 2 && path[0] === 'services') return serviceHabit(key, value);
  if (path.length === 3 && path[0] === 'services' && (path[2] === 'health' || path[2] === 'ready')) return probeHabit(key);
  return undefined;
}

/** A hint for a value the schema refused at `path` when it is compose's form of the value. */
export function composeValueHint(path: KeyPath, value: unknown): string | undefined {
  const key = path.at(-1);
  if (path.length === 1 && key === 'version' && typeof value === 'string' && /^[23](\.\d+)?$/.test(value.trim())) {
    return `stack.yaml starts with version: 1; "${value.trim()}" is a compose file's version, and ${RUN_COMPOSE}`;
  }
  const inService = path[0] === 'services' && path.length === 3;
  if (key === 'restart' && typeof value === 'string' && (inService || (path.length === 2 && path[0] === 'defaults'))) return restartHint(value);
  if (inService && key === 'env' && Array.isArray(value)) return ENV_LIST_HINT;
  if (inService && key === 'dependsOn' && isMap(value)) return dependsOnHint(value);
  if (path.length === 4 && path[0] === 'services' && path[2] === 'ports' && typeof value === 'string') return portMappingHint(value);
  return undefined;
}

function topLevelHabit(key: string, value: unknown): Habit | undefined {
  if (key === 'name') return { instead: 'project', hint: `compose's name: is stack's project: write project: ${projectOf(value)}` };
  if (key.startsWith('x-')) {
    return { hint: 'stack.yaml has no extension fields: put the anchor on the first service that uses it, a: &common { … }, then b: { <<: *common, … }' };
  }
  if (COMPOSE_TOP_KEYS.has(key)) return { hint: `${key}: is a compose file's key; stack.yaml declares services, and ${RUN_COMPOSE}` };
  return undefined;
}

function serviceHabit(key: string, value: unknown): Habit | undefined {
  switch (key) {
    case 'environment':
      return { instead: 'env', hint: Array.isArray(value) ? ENV_LIST_HINT : 'stack\'s environment is env, a map as in compose: env: { NODE_ENV: production }' };
    case 'env_file':
      return { instead: 'envFile', hint: envFileHint(value) };
    case 'working_dir':
      return { instead: 'cwd', hint: 'stack\'s working folder is cwd: ./app, relative to stack.yaml\'s folder; it must exist' };
    case 'depends_on':
      return { instead: 'dependsOn', hint: dependsOnHint(value) };
    case 'healthcheck':
      return { instead: 'health', hint: HEALTH_HINT };
    case 'entrypoint':
      return { instead: 'command', hint: 'stack runs one argv: command: [entrypoint, …its arguments, …compose\'s command]' };
    case 'stop_signal':
      return { instead: 'stop', hint: `write stop: { signal: ${signalOf(value)} }` };
    case 'stop_grace_period':
      return { instead: 'stop', hint: `write stop: { timeout: ${durationOf(value)} }: SIGKILL follows when it runs out` };
    case 'logging':
      return { instead: 'logs', hint: 'stack keeps each service\'s log in .stack/logs/, rotated as logs: { maxSize: 10MB, maxFiles: 3 } says: compose\'s max-size and max-file' };
    case 'extends':
      return { hint: 'stack.yaml shares keys with YAML anchors: a: &common { … }, then b: { <<: *common, … }' };
    default:
      return CONTAINER_KEYS.has(key) ? { hint: containerHint(key) } : undefined;
  }
}

function probeHabit(key: string): Habit | undefined {
  switch (key) {
    case 'test':
      return { instead: 'exec', hint: 'write exec: [pg_isready]: compose\'s test without "CMD", CMD-SHELL\'s string as exec: [sh, -c, "…"]; or http: URL, or tcp: port' };
    case 'retries':
      return { instead: 'failureThreshold', hint: 'failureThreshold: 3 is how many failed checks in a row make the service unhealthy' };
    case 'start_period':
    case 'start_interval':
      return { hint: 'a probe has no start period: a ready: probe, within its timeout, waits for the start, and health: watches after it' };
    default:
      return undefined;
  }
}

const ENV_LIST_HINT =
  'env is a map: compose\'s list item - NAME=value is NAME: value, as in env: { NODE_ENV: production }; a bare - NAME needs no entry: a service starts with the caller\'s environment';

const HEALTH_HINT =
  'stack\'s liveness probe is health: { exec: [pg_isready], interval: 10s, timeout: 5s, failureThreshold: 3 }, or http: URL or tcp: port in place of exec; ' +
  'compose\'s test: [CMD, …] is exec: […] without "CMD", CMD-SHELL\'s string is exec: [sh, -c, "…"], retries is failureThreshold';

function envFileHint(value: unknown): string {
  const hint = 'envFile takes one path or a list, relative to stack.yaml: envFile: [.env.web]; every file must exist';
  const hasEntries = Array.isArray(value) && value.some((entry) => isMap(entry));
  return hasEntries ? `${hint}; compose's { path: …, required: … } entries are written as their path` : hint;
}

/** `dependsOn: [db, cache]` from compose's list, or `dependsOn: { db: ready }` from its map of conditions. */
function dependsOnHint(value: unknown): string {
  const names = Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : isMap(value) ? Object.keys(value) : [];
  const named = names.length > 0 && names.length <= 6 && names.every((name) => SERVICE_NAME.test(name));
  const list = `write dependsOn: [${named ? names.join(', ') : 'db'}]: each starts first, and is ready first where it declares a ready: probe`;
  if (!isMap(value)) return list;
  const conditionOf = (entry: unknown): string | undefined => (isMap(entry) && typeof entry.condition === 'string' ? CONDITIONS[entry.condition] : undefined);
  const entries = Object.entries(value).map(([name, entry]) => [name, conditionOf(entry)] as const);
  if (entries.every(([, condition]) => condition === undefined)) return list;
  const map = named ? entries.map(([name, condition]) => `${name}: ${condition ?? 'ready'}`).join(', ') : 'db: ready';
  const mapped = Object.entries(CONDITIONS).filter(([, condition]) => entries.some(([, used]) => used === condition)).map(([compose, condition]) => `${compose} → ${condition}`);
  const task = entries.some(([, condition]) => condition === 'completed') ? '; completed waits for a kind: task service' : '';
  return `write dependsOn: { ${map} }: compose's ${mapped.join(', ')}${task}`;
}

/** compose's `restart: always` (or `on-failure:3`) as stack's restart map. */
function restartHint(value: string): string {
  const text = value.trim();
  const retries = /^on-failure:(\d{1,6})$/.exec(text);
  if (retries) return `write restart: { policy: on-failure, maxRestarts: ${retries[1]} }`;
  if (text === 'always') return 'write restart: { policy: always }; it restarts at most maxRestarts times in a row, 5 unless set';
  if (text === 'unless-stopped') return 'write restart: { policy: always }: a service stack stops stays stopped';
  if (text === 'on-failure' || text === 'no') return `write restart: { policy: ${text} }`;
  return 'restart is a map: restart: { policy: on-failure }, policy no, on-failure or always';
}

/** compose's `"8080:80"` (HOST:CONTAINER) where stack wants the port the service listens on. */
function portMappingHint(value: string): string | undefined {
  const mapping = /^\s*(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):\d{1,5}(?:\/(?:tcp|udp))?\s*$/.exec(value);
  if (!mapping) return undefined;
  const port = mapping[1] ? `"${mapping[1]}:${mapping[2]}"` : mapping[2];
  return `stack's ports are those the service listens on, not compose's HOST:CONTAINER mappings: ports: [${port}]; a container's mappings stay in its compose file`;
}

function containerHint(key: string): string {
  const files = key === 'volumes' ? '; a process service sees the host\'s files as they are' : '';
  return `${key}: is a container's key, and stack runs containers through compose: ${RUN_COMPOSE}${files}`;
}

function projectOf(value: unknown): string {
  return typeof value === 'string' && SERVICE_NAME.test(value) ? value : 'myapp';
}

function signalOf(value: unknown): string {
  if (typeof value !== 'string') return 'SIGTERM';
  const name = value.trim().toUpperCase();
  const signal = name.startsWith('SIG') ? name : `SIG${name}`;
  return (SIGNALS as readonly string[]).includes(signal) ? signal : 'SIGTERM';
}

function durationOf(value: unknown): string {
  return typeof value === 'string' && DURATION_PATTERN.test(value) ? value.trim() : '10s';
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
