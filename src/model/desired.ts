import type { ConfigIssue, SourcePosition } from './errors.js';

/**
 * Each provider's settings by provider name, e.g. `process: ProcessSpec`. Empty here: every
 * `providers/<name>/module.ts` adds its own entry (TypeScript module augmentation), so a new
 * provider edits nothing in model/ (docs/architecture.md, "Providers as modules").
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ProviderSettings {}
export type ProviderName = keyof ProviderSettings & string;
export type DesiredRunState = 'running' | 'stopped';
export type RestartPolicy = 'no' | 'on-failure' | 'always';
/** `service` runs until stopped; `task` runs to completion (a migration, a build step). */
export type ServiceKind = 'service' | 'task';
/**
 * What a dependent waits for: the dependency's start (`started`), its `ready` probe (`ready`, the
 * list form's meaning; a task counts as ready once it completed), or a task's success (`completed`).
 */
export type DependencyCondition = 'started' | 'ready' | 'completed';

/** A task's own settings (`kind: task`). */
export interface TaskSpec {
  /** The exit codes that count as success; [0] unless written. */
  successExitCodes: number[];
  /** Globs relative to stack.yaml's folder whose files' content joins the spec hash. */
  inputs: string[];
  /** Set when the task runs on a schedule (under a controller) rather than once per spec. */
  schedule?: ScheduleSpec;
}

/** `watch:` and `build:` of a service: what a change of its sources does. */
export interface DevSpec {
  /** Globs relative to stack.yaml's folder (`src/**`, `package.json`). */
  paths: string[];
  /** Globs left out, besides `.git`, `node_modules`, `.stack` and (with `gitignore`) what .gitignore leaves out. */
  ignore: string[];
  gitignore: boolean;
  /** How long changes gather before the build (or restart) begins. */
  debounceMs: number;
  /** Run to its end before the restart; a failure keeps the running process. Absent: restart only. */
  build?: string[];
}

/** What a scheduled run does when the last run has not ended: it is skipped, waits for it (one waits at most), or stops it. */
export type OverlapPolicy = 'skip' | 'queue' | 'replace';

/** `schedule:` of a task: a cron expression or an interval, exactly one. */
export interface ScheduleSpec {
  /** Five fields (minute first), six (seconds first), or a nickname (`@hourly`). */
  cron?: string;
  /** An interval: each run begins this long after the one before was due. */
  everyMs?: number;
  /** An IANA time zone the cron expression is read in; absent: the machine's. */
  timezone?: string;
  overlap: OverlapPolicy;
  /** As written, for people: `*\/15 * * * *`, `every 30s`. */
  text: string;
}

/** A declared port: `4222` or `127.0.0.1:4222`. */
export interface PortSpec {
  host?: string;
  port: number;
  /** A named port written `auto`: picked for this copy of the stack (load/named-ports.ts). */
  auto?: true;
}

export type ProbeCheck =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string }
  | { kind: 'exec'; argv: string[] }
  | { kind: 'log'; pattern: string };

/** A readiness (`ready`) or liveness (`health`) probe, durations in milliseconds. */
export interface Probe {
  check: ProbeCheck;
  timeoutMs: number;
  intervalMs: number;
  failureThreshold: number;
}

export interface StopSpec {
  signal: NodeJS.Signals;
  timeoutMs: number;
  /**
   * The timeout was written (the service's `stop:` or `defaults.stop:`). Without it, a provider
   * whose services carry a timeout of their own keeps that one: compose's `stop_grace_period`.
   */
  timeoutWritten?: true;
}

export interface RestartSpec {
  policy: RestartPolicy;
  maxRestarts: number;
  backoff: { initialMs: number; maxMs: number; resetMs: number };
}

export interface StartSpec {
  /** How long a start without a `ready` probe must stay up to count as started; 0 = no check. */
  settleMs: number;
}

export interface LogSpec {
  maxSizeBytes: number;
  maxFiles: number;
}

/** `limits:` of a process service, each absent when not written. */
export interface ResourceLimits {
  memoryBytes?: number;
  /** CPUs the group may keep busy (1.5: one and a half cores). */
  cpu?: number;
  /** Processes and threads at once. */
  pids?: number;
}

/**
 * The provider's part of a service's spec (reconcile/spec.ts), flattened by its module when the
 * service is resolved, so that the pure planner compares specs without knowing any provider.
 */
export interface ProviderSpecFields {
  /** Field → value as the state file records it (`command`, `compose.file`, `env.PORT`, …). */
  values: Readonly<Record<string, string>>;
  /** The fields besides `provider` that an install depends on: a change of one reinstalls. */
  install: readonly string[];
  /** The field `filesDigest` is recorded as (`files`; `plugin.files`, an install field, for plugins). */
  files: string;
}

/** What every service has, whatever runs it. */
export interface ServiceBase {
  name: string;
  /** Position in the manifest (0-based): the tie-breaker of every ordering. */
  index: number;
  /** One of `replicas: N` (named `<replicaOf>.<replica>`): the service as written, and which one (0..N-1). */
  replicaOf?: string;
  replica?: number;
  enabled: boolean;
  state: DesiredRunState;
  dependsOn: string[];
  /** The condition of each `dependsOn` entry written in the map form; absent entries are `ready`. */
  conditions?: Readonly<Record<string, DependencyCondition>>;
  /** Absent: `service`. */
  kind?: ServiceKind;
  /** Set exactly when `kind` is `task`. */
  task?: TaskSpec;
  /** `watch:` (and `build:`): the development loop restarts it when its sources change (issue 31). */
  dev?: DevSpec;
  /** Services whose restart by the development loop restarts this one too, after them. */
  restartWith?: string[];
  /** Every port it listens on: the list form as written, or the map form's ports as allocated. */
  ports: PortSpec[];
  /** The map form (`ports: { http: auto }`): each name's port in this copy of the stack. */
  namedPorts?: Readonly<Record<string, number>>;
  ready?: Probe;
  health?: Probe;
  start: StartSpec;
  stop: StopSpec;
  restart: RestartSpec;
  logs: LogSpec;
  /** Resource limits (`limits:`), absent when none is written; only process services have them. */
  limits?: ResourceLimits;
  /** The provider's spec fields, from its settings (see ProviderSpecFields). */
  providerSpec: ProviderSpecFields;
  /**
   * Keys whose values are never printed: env keys (declared in `sensitive:` or read from an env
   * file) and spec fields (`command`, `cwd`, …) that a sensitive variable was interpolated into.
   */
  sensitive: string[];
  /** The secret values themselves, so free text (`--verbose` lines, errors) can be redacted. */
  secrets?: string[];
  /**
   * Digest of the files the service reads besides stack.yaml (a compose file and the env files
   * it names, a plugin's folder), filled in by its provider before planning, so an edited file
   * plans a restart (and, for plugins, a reinstall).
   */
  filesDigest?: string | undefined;
  /** The digest of each of those files by relative path (plugins), recorded so a plan names what changed. */
  files?: Readonly<Record<string, string>> | undefined;
  /**
   * The digest each sensitive spec field is recorded as (`key:<hex>`, keyed with the random key
   * kept in `.stack/digest-key`), filled in before planning, so state.json cannot confirm a
   * guessed secret offline. Without it, fields fall back to the older unkeyed digest.
   */
  sealed?: Record<string, string>;
  /** Where the service is declared. */
  position?: SourcePosition;
}

/**
 * One service of provider `P`: its settings under the key named like the provider
 * (`process: ProcessSpec`), the other providers' keys absent.
 */
export type DesiredServiceOf<P extends ProviderName> = ServiceBase & { provider: P } & { [K in P]: ProviderSettings[K] } & {
  [K in Exclude<ProviderName, P>]?: undefined;
};

/** One service as stack.yaml wants it, defaults merged and paths resolved; narrow it by `provider`. */
export type DesiredService = { [P in ProviderName]: DesiredServiceOf<P> }[ProviderName];

/** The settings of the service's own provider. */
export function settingsOf(service: DesiredService): unknown {
  return (service as unknown as Record<string, unknown>)[service.provider];
}

/** The env a service's settings declare (`env:` of process, compose and plugin services), if any. */
export function settingsEnvOf(service: DesiredService): Readonly<Record<string, string>> {
  const env = (settingsOf(service) as { env?: unknown } | undefined)?.env;
  return typeof env === 'object' && env !== null ? (env as Record<string, string>) : {};
}

/** What `service` waits for of its dependency `dep`. */
export function conditionOf(service: Pick<ServiceBase, 'conditions'>, dep: string): DependencyCondition {
  return service.conditions?.[dep] ?? 'ready';
}

export function isTask(service: Pick<ServiceBase, 'kind'> | undefined): boolean {
  return service?.kind === 'task';
}

/** A task that runs on its `schedule:` (under a controller), not once per spec. */
export function isScheduled(service: Pick<ServiceBase, 'task'> | undefined): boolean {
  return service?.task?.schedule !== undefined;
}

/** The whole of stack.yaml, loaded. */
export interface Desired {
  version: 1;
  project: string;
  /** The name global things (compose projects) start with, when it is not `project` (ProviderModule's ResolveInput.instance). */
  instance?: string;
  /** Absolute path of stack.yaml. */
  file: string;
  /** Folder holding stack.yaml; `.stack/` lives here. */
  root: string;
  /** In manifest order. */
  services: DesiredService[];
  /** `mcp.allow`: what `stack mcp` lets an agent change (docs/mcp.md); absent when not written. */
  mcpAllow?: ('edit' | 'apply')[];
  /** What the file does that is allowed but likely not meant (a `$NAME` that is not set); absent when nothing. */
  warnings?: ConfigIssue[];
  /** Auto named ports kept in `.stack/ports.json` that were picked again this load, and why (the plan says so). */
  portNotes?: string[];
}
