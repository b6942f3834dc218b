// Pure: `docker service ls` and `docker service ps` rows → what the stack is now. No docker here.
import type { Health, Phase } from '../../model/observed.js';
import { jsonRows } from '../compose/containers.js';
import { serviceOfStack } from './fields.js';

/** One service of the stack, as `docker service ls` reports it. */
export interface ServiceRow {
  id: string;
  /** The compose service's name (without the stack's prefix). */
  name: string;
  running: number;
  desired: number;
  /** One task per node: it cannot be scaled (to 0 or anything else). */
  global: boolean;
}

/** One task, as `docker service ps` reports it (the current ones and their history). */
export interface TaskRow {
  id: string;
  /** The compose service it belongs to. */
  service: string;
  desiredState: string;
  /** `Running 5 seconds ago`, `Failed 2 seconds ago`, `Rejected …`. */
  currentState: string;
  error: string;
}

export interface StackStatus {
  phase: Exclude<Phase, 'unknown' | 'stopping'>;
  health: Health;
  detail?: string;
}

export function parseServiceRows(stack: string, text: string): ServiceRow[] {
  return jsonRows(text)
    .map((row) => {
      const [running, desired] = /^(\d+)\/(\d+)/.exec(String(row.Replicas ?? ''))?.slice(1).map(Number) ?? [0, 0];
      const global = String(row.Mode ?? '') === 'global';
      return { id: String(row.ID ?? ''), name: serviceOfStack(stack, String(row.Name ?? '')), running: running ?? 0, desired: desired ?? 0, global };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function parseTaskRows(stack: string, text: string): TaskRow[] {
  return jsonRows(text).map((row) => ({
    id: String(row.ID ?? ''),
    // Tasks are named `<stack>_<service>.<slot>` (or `.<node id>` in global mode).
    service: serviceOfStack(stack, String(row.Name ?? '').replace(/\.[^.]+$/, '')),
    desiredState: String(row.DesiredState ?? ''),
    currentState: String(row.CurrentState ?? ''),
    // Docker quotes the error as Go's %q does.
    error: String(row.Error ?? '').replace(/^"(.*)"$/s, '$1'),
  }));
}

/** The services short of their replicas: `web 1/2`. */
export function shortServices(services: readonly ServiceRow[]): ServiceRow[] {
  return services.filter((service) => service.running < service.desired);
}

/**
 * absent: no service; stopped: every replicated service scaled to 0 (a global one cannot be); running: every service at its
 * desired replicas (swarm counts a task with a healthcheck as running only once healthy);
 * crashed: a service short of them whose tasks fail (their errors said); else starting.
 */
export function stackStatus(services: readonly ServiceRow[], tasks: readonly TaskRow[] = []): StackStatus {
  if (services.length === 0) return { phase: 'absent', health: 'none' };
  const replicated = services.filter((service) => !service.global);
  if (replicated.length > 0 && replicated.every((service) => service.desired === 0)) {
    const global = services.filter((service) => service.global).map((service) => service.name);
    return { phase: 'stopped', health: 'none', ...(global.length > 0 ? { detail: `global services keep running: ${global.join(', ')}` } : {}) };
  }
  const short = shortServices(services);
  if (short.length === 0) return { phase: 'running', health: 'none' };
  const errors = taskErrors(tasks, short.map((service) => service.name));
  if (errors.length > 0) return { phase: 'crashed', health: 'none', detail: errors.join('; ') };
  return { phase: 'starting', health: 'unready', detail: `starting: ${short.map((service) => `${service.name} ${service.running}/${service.desired}`).join(', ')}` };
}

const FAILED_STATE = /^(Failed|Rejected)/;

/** The distinct errors of the services' failed tasks, newest first (as docker lists them): `web: task failed: …`. */
export function taskErrors(tasks: readonly TaskRow[], services: readonly string[], max = 3): string[] {
  const seen = new Set<string>();
  for (const task of tasks) {
    if (!services.includes(task.service) || !(task.error || FAILED_STATE.test(task.currentState))) continue;
    seen.add(`${task.service}: ${task.error || task.currentState.replace(/ \S+ \S+ ago$/, '')}`);
    if (seen.size >= max) break;
  }
  return [...seen];
}
