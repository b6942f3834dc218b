// The swarm questions stack asks on every command (is this engine a manager, which services has
// the stack and how many of their tasks run, their specs, their tasks), asked of the engine's API
// where the docker CLI would ask that same engine (compose/engine-api.ts). `docker info`, `docker
// service ls`, `service inspect` and `service ps` are each a start of the docker CLI, a Go
// program of 80–150 ms here, and a `stack status` of swarm services ran three of them one after
// the other. Each answer here is what the CLI's own request to the engine gets; `undefined` (no
// socket, a context, an older engine, an error status) means the CLI is asked, as before.
import { asRecord } from '../../config/service-rules.js';
import { filtersQuery, type EngineAsk, type EngineGet } from '../compose/engine-api.js';
import { STACK_LABEL } from './argv.js';
import { serviceOfStack, type InspectedService } from './fields.js';
import type { ServiceRow, TaskRow } from './status.js';

/** `docker info`'s `.Swarm`: `LocalNodeState` is `inactive`, `pending`, `active`, `error` or `locked`. */
export interface SwarmInfo {
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  Error?: string;
}

/** A service as the engine lists it with `status=true` (API 1.41): its spec and its running and desired task counts. */
export interface ListedService extends InspectedService {
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
}

/** A task as the engine lists it (the parts stack reads). */
export interface EngineTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; Timestamp?: string };
}

export interface SwarmEngine {
  /** `docker info`'s `.Swarm`. */
  info(options: EngineAsk): Promise<SwarmInfo | undefined>;
  /** The stack's services with their task counts (`docker service ls`). */
  services(stack: string, options: EngineAsk): Promise<ListedService[] | undefined>;
  /** Each service's spec with the engine's defaults filled in, as `docker service inspect` shows it. */
  inspect(ids: readonly string[], options: EngineAsk): Promise<InspectedService[] | undefined>;
  /** The tasks of services, or the tasks named (`docker service ps`, `docker inspect`). */
  tasks(filter: { service: readonly string[] } | { id: readonly string[] }, options: EngineAsk): Promise<EngineTask[] | undefined>;
  /** The ids of the stack's containers, stopped ones too, and of its networks (`docker ps -aq`, `docker network ls -q`, by the stack's label): what a removal waits to see gone. */
  leftovers(stack: string, options: EngineAsk): Promise<{ containers: string[]; networks: string[] } | undefined>;
}

/** The swarm questions over `get` (engineGetFor: the engine the docker CLI would ask). */
export function swarmEngineOver(get: EngineGet): SwarmEngine {
  const list = async <T>(path: string, options: EngineAsk): Promise<T[] | undefined> => {
    const answer = await get(path, options);
    return Array.isArray(answer) && answer.every((row) => typeof asRecord(row)?.ID === 'string') ? (answer as T[]) : undefined;
  };
  return {
    async info(options) {
      const answer = await get('/info', options);
      return asRecord(asRecord(answer)?.Swarm) as SwarmInfo | undefined;
    },
    services: (stack, options) => list<ListedService>(`/services?status=true&${filtersQuery({ label: [`${STACK_LABEL}=${stack}`] })}`, options),
    async inspect(ids, options) {
      // One request each, as the CLI makes: only a single service's answer fills in the engine's defaults.
      const answers = await Promise.all(ids.map((id) => get(`/services/${encodeURIComponent(id)}?insertDefaults=true`, options)));
      return answers.every((answer) => typeof asRecord(answer)?.ID === 'string' && asRecord(asRecord(answer)?.Spec) !== undefined) ? (answers as InspectedService[]) : undefined;
    },
    tasks: (filter, options) => list<EngineTask>(`/tasks?${filtersQuery(filter)}`, options),
    async leftovers(stack, options) {
      const label = filtersQuery({ label: [`${STACK_LABEL}=${stack}`] });
      const [containers, networks] = await Promise.all([get(`/containers/json?all=1&${label}`, options), get(`/networks?${label}`, options)]);
      const ids = (rows: unknown): string[] | undefined => (Array.isArray(rows) && rows.every((row) => typeof asRecord(row)?.Id === 'string') ? rows.map((row) => (row as { Id: string }).Id) : undefined);
      const containerIds = ids(containers);
      const networkIds = ids(networks);
      return containerIds && networkIds ? { containers: containerIds, networks: networkIds } : undefined;
    },
  };
}

/**
 * `docker service ls`'s rows from the engine's list: `undefined` when a service has no task
 * counts (an engine older than API 1.41 leaves `status=true` out; the CLI counts tasks itself then).
 */
export function serviceRowsFromEngine(stack: string, services: readonly ListedService[]): ServiceRow[] | undefined {
  const rows: ServiceRow[] = [];
  for (const service of services) {
    const { RunningTasks: running, DesiredTasks: desired } = service.ServiceStatus ?? {};
    if (typeof running !== 'number' || typeof desired !== 'number' || typeof service.Spec?.Name !== 'string') return undefined;
    rows.push({ id: service.ID, name: serviceOfStack(stack, service.Spec.Name), running, desired, global: service.Spec.Mode?.Global !== undefined });
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/** `Running`, as the CLI prints a state (it adds how long ago, which stack does not read). */
const pretty = (state: string | undefined): string => (state ? state.charAt(0).toUpperCase() + state.slice(1) : '');

/**
 * `docker service ps`'s rows from the engine's tasks, in its order: by task (service, then slot,
 * or node for a global service), the newest first. `nameOf` gives a service's name by its id.
 */
export function taskRowsFromEngine(stack: string, tasks: readonly EngineTask[], nameOf: (serviceId: string) => string | undefined): TaskRow[] {
  const keyed = tasks.map((task) => ({ task, service: nameOf(task.ServiceID ?? '') ?? '' }));
  keyed.sort(
    (a, b) =>
      a.service.localeCompare(b.service) ||
      (a.task.Slot ?? 0) - (b.task.Slot ?? 0) ||
      (a.task.NodeID ?? '').localeCompare(b.task.NodeID ?? '') ||
      Date.parse(b.task.CreatedAt ?? '') - Date.parse(a.task.CreatedAt ?? ''),
  );
  return keyed.map(({ task, service }) => ({
    id: task.ID,
    service: serviceOfStack(stack, service),
    desiredState: pretty(task.DesiredState),
    currentState: pretty(task.Status?.State),
    error: task.Status?.Err ?? '',
  }));
}
