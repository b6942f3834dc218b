// Runs the docker commands of one swarm stack and reads what they say about it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppliedService } from '../../model/observed.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { formatCommand, type CommandResult } from '../../os/runner.js';
import type { Run } from '../compose/cli.js';
import { serviceInspectArgv, serviceLsArgv, servicePsArgv, STACK_LABEL, stackNetworksArgv } from './argv.js';
import { declaredServices, type DeclaredService } from './compose-file.js';
import type { InspectedService } from './fields.js';
import { serviceRowsFromEngine, taskRowsFromEngine, type SwarmEngine } from './engine.js';
import type { SwarmSpec } from './spec.js';
import { parseServiceRows, parseTaskRows, type ServiceRow, type TaskRow } from './status.js';

const STDERR_TAIL = 12;

/** The swarm spec stack recorded, for a stop or removal after the service left stack.yaml (secret env left out). */
export function recordedSwarmSpec(fields: Readonly<Record<string, string>>): SwarmSpec | undefined {
  const file = fields['swarm.file'];
  const stack = fields['swarm.stack'];
  if (file === undefined || stack === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key.startsWith('swarm.env.') && !/^(sha|key):/.test(value)) env[key.slice('swarm.env.'.length)] = value;
  }
  return { file, stack, env };
}

export function specOfRecord(name: string, applied: AppliedService): SwarmSpec {
  const spec = recordedSwarmSpec(applied.fields);
  if (!spec) throw new OperationError(name, `${name}: the state file records no swarm stack for it`);
  return spec;
}

export interface StackCommands {
  /** Runs one docker command for the stack (in the compose file's folder, with `swarm.env`); a failure is an OperationError. */
  must(argv: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  services(): Promise<ServiceRow[]>;
  tasks(ids: readonly string[]): Promise<TaskRow[]>;
  inspect(ids: readonly string[]): Promise<InspectedService[]>;
  /** When each task's state last changed (ms since the epoch), by task id. */
  taskTimes(ids: readonly string[]): Promise<Map<string, number>>;
  /** The compose file's services as a deploy would make them. */
  declared(): Promise<DeclaredService[]>;
  /** What is left of the stack once removed: its services, task containers and networks, named for people (`service web`, `container 0123456789ab`). */
  left(): Promise<string[]>;
}

/**
 * The stack's commands. With `engine`, what they read is asked of the engine's API (engine.ts),
 * unless `swarm.env` names a DOCKER_ variable (its commands then talk to an engine of its own);
 * whatever the engine does not answer is asked of the docker CLI, as before.
 */
export function stackCommands(run: Run, name: string, spec: SwarmSpec, ctx: OperationContext, engine?: SwarmEngine): StackCommands {
  const folder = path.dirname(spec.file);
  const cwd = existsSync(folder) ? folder : ctx.root;
  const api = engine && !Object.keys(spec.env).some((key) => key.startsWith('DOCKER_')) ? engine : undefined;
  const ask = { signal: ctx.signal, verbose: ctx.verbose };
  // The names of the services the engine listed, by id: its tasks name their service by id only.
  const named = new Map<string, string>();
  async function must(argv: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
    const result = await run(argv, { cwd, env: spec.env, signal: ctx.signal, verbose: ctx.verbose, timeoutMs });
    if (result.exitCode === 0) return result;
    ctx.signal.throwIfAborted();
    const why = result.spawnError ?? (result.timedOut ? 'timed out' : `exit ${result.exitCode}`);
    const tail = result.stderr.split('\n').filter((line) => line.trim()).slice(-STDERR_TAIL).map((line) => ctx.redact(line));
    const quoted = tail.length > 0 ? `\n  ${tail.join('\n  ')}` : '';
    throw new OperationError(name, `${name}: \`${formatCommand(argv)}\` failed (${why})${quoted}`, { exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut, logTail: tail });
  }
  async function services(): Promise<ServiceRow[]> {
    const listed = await api?.services(spec.stack, ask);
    const rows = listed && serviceRowsFromEngine(spec.stack, listed);
    if (listed && rows) {
      for (const service of listed) named.set(service.ID, service.Spec.Name);
      return rows;
    }
    return parseServiceRows(spec.stack, (await must(serviceLsArgv(spec.stack))).stdout);
  }
  async function tasks(ids: readonly string[]): Promise<TaskRow[]> {
    if (ids.length === 0) return [];
    const listed = ids.every((id) => named.has(id)) ? await api?.tasks({ service: ids }, ask) : undefined;
    if (listed) return taskRowsFromEngine(spec.stack, listed, (id) => named.get(id));
    return parseTaskRows(spec.stack, (await must(servicePsArgv(ids))).stdout);
  }
  return {
    must,
    services,
    tasks,
    inspect: async (ids) => (ids.length === 0 ? [] : ((await api?.inspect(ids, ask)) ?? (JSON.parse((await must(serviceInspectArgv(ids))).stdout) as InspectedService[]))),
    async taskTimes(ids) {
      if (ids.length === 0) return new Map();
      const listed = await api?.tasks({ id: ids }, ask);
      const tasks = listed ?? (JSON.parse((await must(['docker', 'inspect', ...ids])).stdout) as { ID: string; Status?: { Timestamp?: string } }[]);
      return new Map(tasks.map((task) => [task.ID, Date.parse(task.Status?.Timestamp ?? '')]));
    },
    async left() {
      const left = (await services()).map((row) => `service ${row.name}`);
      const found = await api?.leftovers(spec.stack, ask);
      const ids = async (argv: string[]) => (await must(argv)).stdout.split('\n').filter((line) => line.trim());
      const containers = found?.containers ?? (await ids(['docker', 'ps', '-aq', '--filter', `label=${STACK_LABEL}=${spec.stack}`]));
      const networks = found?.networks ?? (await ids(stackNetworksArgv(spec.stack)));
      return [
        ...left,
        ...containers.map((id) => `container ${id.slice(0, 12)}`),
        ...networks.map((id) => `network ${id.slice(0, 12)}`),
      ];
    },
    async declared() {
      const text = await readFile(spec.file, 'utf8');
      const envFiles = new Map<string, string | undefined>();
      const env = { ...process.env, ...spec.env };
      const first = declaredServices(text, env);
      for (const file of new Set(first.flatMap((service) => service.envFiles))) {
        envFiles.set(file, await readFile(path.resolve(folder, file), 'utf8').catch(() => undefined));
      }
      return envFiles.size === 0 ? first : declaredServices(text, env, (file) => envFiles.get(file));
    },
  };
}
