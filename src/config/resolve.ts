/**
 * A valid StackFile → Desired: providers inferred, defaults merged, durations in ms, paths
 * absolute. What is the provider's own (its settings, its spec fields) its module resolves. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog, ProviderModule } from '../model/provider-module.js';
import { commandArgv } from './command.js';
import { DEFAULT_HEALTH, DEFAULT_LOGS, DEFAULT_PROBE_HOST, DEFAULT_READY, DEFAULT_RESTART, DEFAULT_START, DEFAULT_STOP } from './defaults.js';
import type { VariableUse } from './interpolate-document.js';
import type { Locate } from './issues.js';
import { basename, dirname } from './paths.js';
import type { ProbeInput, ServiceInput, StackFile } from './schema.js';
import { SERVICE_NAME } from './semantic.js';
import { isSensitiveKey } from './sensitive.js';
import { inferProvider } from './service-rules.js';
import { settingsEnvOf } from '../model/desired.js';
import type { Desired, DesiredService, DevSpec, LogSpec, Probe, ProbeCheck, ResourceLimits, RestartSpec, StopSpec } from '../model/desired.js';
import { parseDuration, parsePort, parseSize } from './units.js';
import { checkReplicaPortClashes, dependOnReplicas, replicaCount, replicaInput, replicaName } from './replicas.js';
import { scheduleOf } from './schedule.js';
import { namedPortSpecs } from './named-ports.js';

export interface ResolveContext {
  /** Absolute path of stack.yaml. */
  file: string;
  /** Absolute env file path → its text; a path missing here is reported as not found. */
  envFileTexts: ReadonlyMap<string, string>;
  locate: Locate;
  /** Variables interpolated into the document: sensitive ones make the fields they reached sensitive. */
  uses?: readonly VariableUse[];
  /** The providers that resolve their own keys; the first is the provider of a service that names none. */
  providers: ProviderCatalog;
  /** Each service with `replicas:` as each replica's interpolation sees it (interpolateReplicas). */
  replicas?: ReadonlyMap<string, readonly unknown[]>;
  /** Every named port's number by key (config/named-ports.ts). */
  ports?: ReadonlyMap<string, number>;
  /** A short mark of the stack folder's path (load/folder-names.ts); absent: global names are the project's alone, as before. */
  folderId?: string;
}

export interface Resolved {
  desired?: Desired;
  issues: ConfigIssue[];
}

export function resolveStack(raw: StackFile, ctx: ResolveContext): Resolved {
  const root = dirname(ctx.file);
  const project = raw.project ?? projectNameFor(root);
  // Written, a project name is the user's to keep; derived, it gets the folder's own mark.
  const instance = raw.project === undefined && ctx.folderId !== undefined ? `${project}-${ctx.folderId}` : project;
  const issues: ConfigIssue[] = [];
  // Each service's variable uses, grouped once (a filter of every use for each service grew with the square of the stack).
  const usesOf = new Map<string, VariableUse[]>();
  for (const use of ctx.uses ?? []) {
    const [section, name] = use.path;
    if (section !== 'services' || typeof name !== 'string') continue;
    const list = usesOf.get(name);
    if (list) list.push(use);
    else usesOf.set(name, [use]);
  }
  const scope = { raw, root, project, instance, ctx, usesOf };
  const services = manifestOrder(Object.keys(raw.services), ctx.locate).flatMap((name) => {
    const resolved = resolveReplicas(name, raw.services[name] as ServiceInput, scope) ?? [resolveService(name, 0, raw.services[name] as ServiceInput, scope)];
    for (const each of resolved) issues.push(...each.issues);
    return resolved.map((each) => each.service);
  });
  issues.push(...checkReplicaPortClashes(services, ctx.locate));
  if (issues.length > 0) return { issues };
  services.forEach((service, index) => (service.index = index));
  const mcp = raw.mcp === undefined ? {} : { mcpAllow: [...new Set(raw.mcp.allow)] };
  return { desired: { version: 1, project, ...(instance === project ? {} : { instance }), file: ctx.file, root, services: dependOnReplicas(services), ...mcp }, issues };
}

/** A service with `replicas: N` as its N services (replicas.ts), each from its own interpolation. */
function resolveReplicas(name: string, input: ServiceInput, scope: Scope): { service: DesiredService; issues: ConfigIssue[] }[] | undefined {
  const inputs = (scope.ctx.replicas?.get(name) ?? []) as ServiceInput[];
  if (replicaCount(input) === undefined || inputs.length === 0) return undefined;
  const first = inputs[0] as ServiceInput;
  return inputs.map((own, replica) => {
    const resolved = resolveService(name, 0, replicaInput(own, first, replica), scope, replica);
    // The first replica's issues stand for all: they are the same issues, at the same place.
    const service = { ...resolved.service, name: replicaName(name, replica), replicaOf: name, replica };
    return { service, issues: replica === 0 ? resolved.issues : [] };
  });
}

/** The stack's folder name, made fit to name `.stack/` and compose projects. */
export function projectNameFor(root: string): string {
  const name = basename(root)
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return SERVICE_NAME.test(name) ? name : 'stack';
}

// JS objects put integer-like keys ("8080") first, so the source order comes from positions.
// Without such a name the object's order is the source order: no position is read (a parse
// cache's positions are then never parsed, see ParseSnapshot).
function manifestOrder(names: string[], locate: Locate): string[] {
  if (!names.some(isArrayIndex)) return names;
  const at = (name: string): [number, number] => {
    const position = locate(['services', name]);
    return position ? [position.line, position.column] : [Number.MAX_SAFE_INTEGER, 0];
  };
  return names
    .map((name, order) => ({ name, order, at: at(name) }))
    .sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1] || a.order - b.order)
    .map((entry) => entry.name);
}

/** A key a JS object lists first, in number order: `0` … `4294967294`, written without leading zeros. */
function isArrayIndex(key: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}

interface Scope {
  raw: StackFile;
  root: string;
  project: string;
  instance: string;
  ctx: ResolveContext;
  usesOf: ReadonlyMap<string, readonly VariableUse[]>;
}

function resolveService(name: string, index: number, input: ServiceInput, scope: Scope, replica?: number): { service: DesiredService; issues: ConfigIssue[] } {
  const { raw, root, ctx } = scope;
  const { providers } = ctx;
  const module = (providers.find((candidate) => candidate.name === inferProvider(input, providers)) ?? providers[0]) as ProviderModule;
  const own = module.resolve({ name, input, root, project: scope.project, instance: scope.instance, envFileTexts: ctx.envFileTexts, locate: ctx.locate });
  const service = {
    name,
    index,
    provider: module.name,
    enabled: input.enabled ?? true,
    state: input.state ?? 'running',
    ...dependenciesOf(input.dependsOn),
    ...taskOf(input),
    ...devOf(input),
    ...portsOf(name, replica, input.ports, ctx.ports ?? new Map()),
    start: { settleMs: ms(input.start?.settle ?? raw.defaults?.start?.settle ?? DEFAULT_START.settle) },
    stop: resolveStop(raw.defaults?.stop, input.stop),
    restart: resolveRestart(raw.defaults?.restart, input.restart, input.kind === 'task'),
    logs: resolveLogs(raw.defaults?.logs, input.logs),
    sensitive: [...new Set([...(input.sensitive ?? []), ...(own.sensitive ?? [])])],
    [module.name]: own.settings,
    providerSpec: module.specFields(own.settings),
  } as unknown as DesiredService;
  const limits = resolveLimits(input.limits);
  if (limits) service.limits = limits;
  if (input.ready) service.ready = resolveProbe(input.ready, DEFAULT_READY);
  if (input.health) service.health = resolveProbe(input.health, DEFAULT_HEALTH);
  const position = ctx.locate(['services', name]);
  if (position) service.position = position;
  markSecrets(service, module, scope.usesOf.get(name) ?? []);
  return { service, issues: own.issues };
}

/**
 * Records the service's secret values (for redacting free text such as `--verbose` lines) and
 * marks every spec field a sensitive variable reached as sensitive, so plans show its digest.
 */
function markSecrets(service: DesiredService, module: ProviderModule, uses: readonly VariableUse[]): void {
  const sensitive = new Set(service.sensitive);
  const secrets = new Set<string>();
  for (const use of uses.filter((entry) => entry.sensitive)) {
    if (use.value !== '') secrets.add(use.value);
    const field = sensitiveFieldOf(use.path, module);
    if (field !== undefined) sensitive.add(field);
  }
  for (const [key, value] of Object.entries(settingsEnvOf(service))) if (value !== '' && isSensitiveKey(key, [...sensitive])) secrets.add(value);
  service.sensitive = [...sensitive];
  if (secrets.size > 0) service.secrets = [...secrets];
}

/** The spec field (or, for env, the key) that a value at `path` ends up in. */
function sensitiveFieldOf(path: readonly (string | number)[], module: ProviderModule): string | undefined {
  const [, , key, sub] = path;
  if (key === 'env' && typeof sub === 'string') return sub;
  if (key === 'envFile') return 'envFiles';
  return module.sensitiveField?.(path.slice(2));
}

/** The list form as written; the map form's ports by name, as this copy of the stack has them. */
function portsOf(name: string, replica: number | undefined, written: ServiceInput['ports'], values: ReadonlyMap<string, number>): Pick<DesiredService, 'ports' | 'namedPorts'> {
  if (written === undefined || Array.isArray(written)) return { ports: (written ?? []).flatMap((port) => parsePort(port) ?? []) };
  const { specs, named } = namedPortSpecs(name, replica, written, values);
  return { ports: specs, namedPorts: named };
}

// Only called on validated input, where every duration parses.
const ms = (text: string): number => parseDuration(text) ?? 0;

function resolveStop(defaults: ServiceInput['stop'], own: ServiceInput['stop']): StopSpec {
  const merged = { ...DEFAULT_STOP, ...defaults, ...own };
  const written = own?.timeout !== undefined || defaults?.timeout !== undefined;
  return { signal: merged.signal, timeoutMs: ms(merged.timeout), ...(written ? { timeoutWritten: true as const } : {}) };
}

/** The list form (each `ready`), or the map form with each entry's condition. */
function dependenciesOf(written: ServiceInput['dependsOn']): Pick<DesiredService, 'dependsOn' | 'conditions'> {
  if (written === undefined || Array.isArray(written)) return { dependsOn: [...new Set(written ?? [])] };
  return { dependsOn: Object.keys(written), conditions: { ...written } };
}

// As stack.yaml's own watch: long enough for an editor's write-and-rename and a formatter's burst.
const DEFAULT_DEBOUNCE_MS = 100;

function devOf(input: ServiceInput): Pick<DesiredService, 'dev' | 'restartWith'> {
  const restartWith = input.restartWith === undefined ? {} : { restartWith: [...new Set(input.restartWith)] };
  if (input.watch === undefined) return restartWith;
  const long = Array.isArray(input.watch) ? { paths: input.watch } : input.watch;
  const build = input.build === undefined ? undefined : commandArgv(input.build, input.shell === true).argv;
  const dev: DevSpec = {
    paths: [...long.paths],
    ignore: [...(long.ignore ?? [])],
    gitignore: long.gitignore ?? true,
    debounceMs: long.debounce === undefined ? DEFAULT_DEBOUNCE_MS : ms(long.debounce),
    ...(build ? { build } : {}),
  };
  return { dev, ...restartWith };
}

function taskOf(input: ServiceInput): Pick<DesiredService, 'kind' | 'task'> {
  if (input.kind !== 'task') return {};
  const schedule = input.schedule === undefined ? undefined : scheduleOf(input.schedule);
  const successExitCodes = [...new Set(input.successExitCodes ?? [0])].sort((a, b) => a - b);
  return { kind: 'task', task: { successExitCodes, inputs: [...(input.inputs ?? [])], ...(schedule ? { schedule } : {}) } };
}

// A task is not restarted unless its own `restart` says so (compose's one-shot): `defaults` speak of services.
function resolveRestart(defaults: ServiceInput['restart'], own: ServiceInput['restart'], task = false): RestartSpec {
  const merged = task ? { ...DEFAULT_RESTART, ...defaults, policy: 'no' as const, ...own } : { ...DEFAULT_RESTART, ...defaults, ...own };
  const backoff = { ...DEFAULT_RESTART.backoff, ...defaults?.backoff, ...own?.backoff };
  return {
    policy: merged.policy,
    maxRestarts: merged.maxRestarts,
    backoff: { initialMs: ms(backoff.initial), maxMs: ms(backoff.max), resetMs: ms(backoff.reset) },
  };
}

function resolveLogs(defaults: ServiceInput['logs'], own: ServiceInput['logs']): LogSpec {
  const merged = { ...DEFAULT_LOGS, ...defaults, ...own };
  return { maxSizeBytes: parseSize(merged.maxSize) ?? 0, maxFiles: merged.maxFiles };
}

function resolveLimits(input: ServiceInput['limits']): ResourceLimits | undefined {
  if (input === undefined) return undefined;
  const memoryBytes = input.memory === undefined ? undefined : parseSize(input.memory);
  return {
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(input.cpu === undefined ? {} : { cpu: input.cpu }),
    ...(input.pids === undefined ? {} : { pids: input.pids }),
  };
}

function resolveProbe(input: ProbeInput, defaults: typeof DEFAULT_READY | typeof DEFAULT_HEALTH): Probe {
  return {
    check: probeCheck(input),
    timeoutMs: ms(input.timeout ?? defaults.timeout),
    intervalMs: ms(input.interval ?? defaults.interval),
    failureThreshold: input.failureThreshold ?? defaults.failureThreshold,
  };
}

function probeCheck(input: ProbeInput): ProbeCheck {
  if (input.tcp !== undefined) {
    const port = parsePort(input.tcp) ?? { port: 0 };
    return { kind: 'tcp', host: port.host ?? DEFAULT_PROBE_HOST, port: port.port };
  }
  // As zod's z.url() accepted it: trimmed, and without the tabs and newlines URL parsers skip.
  if (input.http !== undefined) return { kind: 'http', url: input.http.trim().replace(/[\t\n\r]/g, '') };
  if (input.exec !== undefined) return { kind: 'exec', argv: commandArgv(input.exec, false).argv ?? [] };
  return { kind: 'log', pattern: input.log ?? '' };
}
