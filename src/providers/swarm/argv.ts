// Pure argv builders for the docker commands of the swarm provider: the same options always
// give the same argv, so each can be unit-tested without docker.
import type { SwarmSpec } from './spec.js';

export { swarmStackName } from './spec.js';

/** The label `docker stack deploy` puts on every service, network, config and secret of a stack. */
export const STACK_LABEL = 'com.docker.stack.namespace';

/** `docker info`'s swarm part, as JSON: whether this engine is a manager. */
export function swarmInfoArgv(): string[] {
  return ['docker', 'info', '--format', '{{json .Swarm}}'];
}

/**
 * `docker stack deploy --prune`: creates or updates every service of the file (a rolling update
 * by its `deploy.update_config`) and removes the stack's services the file no longer has. The
 * image is never resolved against a registry: what the engine has locally runs.
 */
export function deployArgv(spec: Pick<SwarmSpec, 'file' | 'stack'>): string[] {
  return ['docker', 'stack', 'deploy', '--prune', '--resolve-image', 'never', '-c', spec.file, spec.stack];
}

export function stackRmArgv(stack: string): string[] {
  return ['docker', 'stack', 'rm', stack];
}

/** The stack's services, one JSON object a line (`Replicas` is `running/desired`). */
export function serviceLsArgv(stack: string): string[] {
  return ['docker', 'service', 'ls', '--filter', `label=${STACK_LABEL}=${stack}`, '--format', '{{json .}}'];
}

/** The full specs and update status of services, as one JSON array. */
export function serviceInspectArgv(ids: readonly string[]): string[] {
  return ['docker', 'service', 'inspect', ...ids];
}

/** The tasks of services (the current ones and their history), one JSON object a line. */
export function servicePsArgv(ids: readonly string[]): string[] {
  return ['docker', 'service', 'ps', '--no-trunc', '--format', '{{json .}}', ...ids];
}

/** `docker service scale a=2 b=0`, sorted by name so the argv is stable; `--detach` returns at once. */
export function scaleArgv(replicas: Readonly<Record<string, number>>): string[] {
  const pairs = Object.keys(replicas)
    .sort()
    .map((name) => `${name}=${replicas[name]}`);
  return ['docker', 'service', 'scale', '--detach', ...pairs];
}

/** What is left of a removed stack: its networks (by label). */
export function stackNetworksArgv(stack: string): string[] {
  return ['docker', 'network', 'ls', '-q', '--filter', `label=${STACK_LABEL}=${stack}`];
}

export interface ServiceLogsOptions {
  follow?: boolean;
  /** RFC 3339 time or a duration, as docker takes it. */
  since?: string;
  /** Lines from the end of each task's log. */
  tail?: number;
}

/** `docker service logs --timestamps` of one service: the engine's time on every line, task and stream kept apart. */
export function serviceLogsArgv(service: string, options: ServiceLogsOptions = {}): string[] {
  return [
    'docker',
    'service',
    'logs',
    '--timestamps',
    '--no-task-ids',
    '--no-trunc',
    ...(options.follow ? ['--follow'] : []),
    ...(options.since === undefined ? [] : ['--since', options.since]),
    ...(options.tail === undefined ? [] : ['--tail', String(options.tail)]),
    service,
  ];
}
