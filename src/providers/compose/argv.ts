// Pure argv builders: the same options always give the same argv (stagecraft's deterministic
// command construction), so every docker command stack runs can be unit-tested without docker.
import type { ComposeSpec } from './spec.js';

/** Which compose CLI runs the commands: the v2 plugin (`docker compose`) or v1 (`docker-compose`). */
export type ComposeFlavour = 'v2' | 'v1';

export interface ComposeCli {
  flavour: ComposeFlavour;
  /** The argv prefix: `['docker', 'compose']` or `['docker-compose']`. */
  base: readonly string[];
  /** As the CLI says it; unknown when v1 was found on PATH without running it (cli.ts). */
  version?: string;
}

export const COMPOSE_V2_BASE = ['docker', 'compose'] as const;
export const COMPOSE_V1_BASE = ['docker-compose'] as const;
export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';

/** What a compose command needs to find its project: a subset of ComposeSpec. */
export type ProjectRef = Pick<ComposeSpec, 'file' | 'project' | 'profiles'>;

/** The name compose (v1 and v2 alike) gives a project: lower case, only `a-z 0-9 _ -`. */
export function composeProjectName(project: string): string {
  return project.toLowerCase().replace(/[^a-z0-9_-]/g, '');
}

/** `<cli> -p <project> -f <file> [--profile p]…`: the prefix of every project command. */
export function projectArgv(cli: ComposeCli, ref: ProjectRef): string[] {
  return [...cli.base, '-p', composeProjectName(ref.project), '-f', ref.file, ...ref.profiles.flatMap((profile) => ['--profile', profile])];
}

/** `--scale name=n` for every scaled service, sorted by name so the argv is stable. */
export function scaleArgs(scale: Readonly<Record<string, number>>): string[] {
  return Object.keys(scale)
    .sort()
    .flatMap((name) => ['--scale', `${name}=${scale[name]}`]);
}

export interface UpOptions {
  /** Create the containers without starting them (the install step). */
  noStart?: boolean;
  /** Wait for health with `--wait` (v2 only; v1 is polled by the provider). */
  wait?: boolean;
}

/** `up -d` (or `up --no-start`) with scale and the selected services. */
export function upArgv(cli: ComposeCli, spec: ComposeSpec, options: UpOptions = {}): string[] {
  const mode = options.noStart ? ['--no-start'] : ['-d'];
  const wait = options.wait && !options.noStart && cli.flavour === 'v2' ? ['--wait'] : [];
  return [...projectArgv(cli, spec), 'up', ...mode, ...wait, '--remove-orphans', ...scaleArgs(spec.scale), ...spec.services];
}

/** `build` of the selected services' images (`watch:` of a compose service). */
export function buildArgv(cli: ComposeCli, spec: ProjectRef & Pick<ComposeSpec, 'services'>): string[] {
  return [...projectArgv(cli, spec), 'build', ...spec.services];
}

/**
 * `stop -t <seconds>` (rounded up to whole seconds, as compose takes them); without a timeout,
 * compose's own: each service's `stop_grace_period`, else its 10 s.
 */
export function stopArgv(cli: ComposeCli, spec: ProjectRef & Pick<ComposeSpec, 'services'>, timeoutMs: number | undefined): string[] {
  const timeout = timeoutMs === undefined ? [] : ['-t', String(Math.max(0, Math.ceil(timeoutMs / 1000)))];
  return [...projectArgv(cli, spec), 'stop', ...timeout, ...spec.services];
}

/** `kill -s <signal>` to the selected services' containers (`stack signal`). */
export function killArgv(cli: ComposeCli, spec: ProjectRef & Pick<ComposeSpec, 'services'>, signal: NodeJS.Signals): string[] {
  return [...projectArgv(cli, spec), 'kill', '-s', signal, ...spec.services];
}

/**
 * `exec [-T] <service> <command…>` (`stack exec`): `-T` when stack's stdin is no terminal, so
 * piped input reaches the command and compose allocates no terminal it cannot have.
 */
export function execArgv(cli: ComposeCli, ref: ProjectRef, service: string, command: readonly string[], tty: boolean): string[] {
  return [...projectArgv(cli, ref), 'exec', ...(tty ? [] : ['-T']), service, ...command];
}

/** `rm --stop --force` of the selected services' containers (`-v`: their anonymous volumes, only when asked). */
export function removeServicesArgv(cli: ComposeCli, spec: ProjectRef & Pick<ComposeSpec, 'services'>, options: { volumes?: boolean } = {}): string[] {
  return [...projectArgv(cli, spec), 'rm', '--stop', '--force', ...(options.volumes ? ['-v'] : []), ...spec.services];
}

/** `down --remove-orphans`, with `--volumes` only when asked. */
export function downArgv(cli: ComposeCli, ref: ProjectRef, options: { volumes?: boolean } = {}): string[] {
  return [...projectArgv(cli, ref), 'down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])];
}

export interface LogsOptions {
  follow?: boolean;
  /** Lines from the end of each container's log. */
  tail?: number;
}

export function logsArgv(cli: ComposeCli, spec: ProjectRef & Pick<ComposeSpec, 'services'>, options: LogsOptions = {}): string[] {
  return [
    ...projectArgv(cli, spec),
    'logs',
    '--no-color',
    ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
    ...(options.follow ? ['-f'] : []),
    ...spec.services,
  ];
}

export interface ContainerLogsOptions {
  follow?: boolean;
  /** Only lines the engine stamped at or after this time (RFC 3339, to the nanosecond). */
  since?: string;
  /** Only lines stamped at or before this time. */
  until?: string;
  /** Lines from the end of the log (counted before `until`: the engine cuts the tail first). */
  tail?: number;
}

/**
 * `docker logs --timestamps` of one container: the engine's time on every line, and the
 * container's stderr on docker's stderr. Engine-level, so the same under compose v1 and v2.
 */
export function containerLogsArgv(id: string, options: ContainerLogsOptions = {}): string[] {
  return [
    'docker',
    'logs',
    '--timestamps',
    ...(options.follow ? ['--follow'] : []),
    ...(options.since === undefined ? [] : ['--since', options.since]),
    ...(options.until === undefined ? [] : ['--until', options.until]),
    ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
    id,
  ];
}

/** Every container of a project, v1 or v2 alike, one JSON object per line. */
export function psArgv(project: string): string[] {
  return ['docker', 'ps', '-a', '--no-trunc', '--filter', `label=${PROJECT_LABEL}=${composeProjectName(project)}`, '--format', '{{json .}}'];
}

/** One reading of what the containers use (the engine samples them for about a second), one JSON object per line. */
export function statsArgv(containerIds: readonly string[]): string[] {
  return ['docker', 'stats', '--no-stream', '--no-trunc', '--format', '{{json .}}', ...containerIds];
}

/** Asks the engine (not only the CLI) for its version: fails when the daemon does not answer. */
export function engineVersionArgv(): string[] {
  return ['docker', 'version', '--format', '{{.Server.Version}}'];
}

export function composeVersionArgv(flavour: ComposeFlavour): string[] {
  return flavour === 'v2' ? [...COMPOSE_V2_BASE, 'version', '--short'] : [...COMPOSE_V1_BASE, 'version', '--short'];
}

/** Resources of a project left behind when its compose file is gone (removed by label). */
export function labelledArgv(kind: 'network' | 'volume', project: string): string[] {
  return ['docker', kind, 'ls', '-q', '--filter', `label=${PROJECT_LABEL}=${composeProjectName(project)}`];
}
