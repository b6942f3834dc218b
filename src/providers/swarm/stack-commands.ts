// Runs the docker commands of one swarm stack and reads what they say about it.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppliedService } from '../../model/observed.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { formatCommand, type CommandResult } from '../../os/runner.js';
import type { Run } from '../compose/cli.js';
import { serviceInspectArgv, serviceLsArgv, servicePsArgv } from './argv.js';
import { declaredServices, type DeclaredService } from './compose-file.js';
import type { InspectedService } from './fields.js';
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
}

export function stackCommands(run: Run, name: string, spec: SwarmSpec, ctx: OperationContext): StackCommands {
  const folder = path.dirname(spec.file);
  const cwd = existsSync(folder) ? folder : ctx.root;
  async function must(argv: readonly string[], timeoutMs = 60_000): Promise<CommandResult> {
    const result = await run(argv, { cwd, env: spec.env, signal: ctx.signal, verbose: ctx.verbose, timeoutMs });
    if (result.exitCode === 0) return result;
    ctx.signal.throwIfAborted();
    const why = result.spawnError ?? (result.timedOut ? 'timed out' : `exit ${result.exitCode}`);
    const tail = result.stderr.split('\n').filter((line) => line.trim()).slice(-STDERR_TAIL).map((line) => ctx.redact(line));
    const quoted = tail.length > 0 ? `\n  ${tail.join('\n  ')}` : '';
    throw new OperationError(name, `${name}: \`${formatCommand(argv)}\` failed (${why})${quoted}`, { exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut, logTail: tail });
  }
  return {
    must,
    services: async () => parseServiceRows(spec.stack, (await must(serviceLsArgv(spec.stack))).stdout),
    tasks: async (ids) => (ids.length === 0 ? [] : parseTaskRows(spec.stack, (await must(servicePsArgv(ids))).stdout)),
    inspect: async (ids) => (ids.length === 0 ? [] : (JSON.parse((await must(serviceInspectArgv(ids))).stdout) as InspectedService[])),
    async taskTimes(ids) {
      if (ids.length === 0) return new Map();
      const tasks = JSON.parse((await must(['docker', 'inspect', ...ids])).stdout) as { ID: string; Status?: { Timestamp?: string } }[];
      return new Map(tasks.map((task) => [task.ID, Date.parse(task.Status?.Timestamp ?? '')]));
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
