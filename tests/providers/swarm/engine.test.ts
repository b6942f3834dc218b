// The swarm questions asked of the engine's API (a stand-in `get` here; tests/cli/swarm.test.ts
// reads a real swarm and compares with the docker CLI's answers).
import { describe, expect, it } from 'vitest';
import type { OperationContext } from '../../../src/model/provider.js';
import type { CommandResult } from '../../../src/os/runner.js';
import type { EngineGet } from '../../../src/providers/compose/engine-api.js';
import { checkSwarmManager } from '../../../src/providers/swarm/check.js';
import { serviceRowsFromEngine, swarmEngineOver, taskRowsFromEngine, type EngineTask, type ListedService } from '../../../src/providers/swarm/engine.js';
import { stackCommands } from '../../../src/providers/swarm/stack-commands.js';

const spec = (name: string, mode: object = { Replicated: { Replicas: 2 } }) => ({ Name: name, TaskTemplate: { ContainerSpec: { Image: 'busybox' } }, Mode: mode });
const listed = (id: string, name: string, running: number, desired: number, mode?: object): ListedService => ({ ID: id, Spec: spec(name, mode), ServiceStatus: { RunningTasks: running, DesiredTasks: desired } });

/** A stand-in engine: `answers` by path (without the query), each request recorded. */
function engineAnswering(answers: Record<string, unknown>): { get: EngineGet; asked: string[] } {
  const asked: string[] = [];
  const get: EngineGet = async (path) => {
    asked.push(decodeURIComponent(path));
    return answers[path.split('?')[0] ?? ''];
  };
  return { get, asked };
}

const ask = { signal: new AbortController().signal };

describe('the swarm read from the engine', () => {
  it('service rows: task counts from the list, global services marked, sorted by name; none without counts (an engine before API 1.41)', () => {
    expect(serviceRowsFromEngine('shop', [listed('w1', 'shop_worker', 1, 1, { Global: {} }), listed('a1', 'shop_api', 1, 2)])).toEqual([
      { id: 'a1', name: 'api', running: 1, desired: 2, global: false },
      { id: 'w1', name: 'worker', running: 1, desired: 1, global: true },
    ]);
    expect(serviceRowsFromEngine('shop', [{ ID: 'a1', Spec: spec('shop_api') }])).toBeUndefined();
  });

  it('task rows in `docker service ps` order: by service and slot, the newest first; states as the CLI prints them; the error unquoted', () => {
    const task = (id: string, serviceId: string, slot: number, createdAt: string, state: string, error?: string): EngineTask => ({
      ID: id,
      ServiceID: serviceId,
      Slot: slot,
      CreatedAt: createdAt,
      DesiredState: 'running',
      Status: { State: state, ...(error ? { Err: error } : {}) },
    });
    const names = new Map([
      ['a1', 'shop_api'],
      ['b1', 'shop_batch'],
    ]);
    const rows = taskRowsFromEngine(
      'shop',
      [
        task('t1', 'b1', 1, '2026-12-06T10:00:00Z', 'running'),
        task('t2', 'a1', 2, '2026-12-06T10:00:00Z', 'running'),
        task('t3', 'a1', 1, '2026-12-06T10:00:00Z', 'failed', 'task: non-zero exit (3)'),
        task('t4', 'a1', 1, '2026-12-06T10:00:05Z', 'rejected', 'no such image'),
      ],
      (id) => names.get(id),
    );
    expect(rows.map((row) => row.id)).toEqual(['t4', 't3', 't2', 't1']);
    expect(rows[0]).toEqual({ id: 't4', service: 'api', desiredState: 'Running', currentState: 'Rejected', error: 'no such image' });
    expect(rows[2]?.error).toBe('');
  });

  it('asks /info, the services by the stack label with their counts, each spec with the defaults filled in, the tasks by service or id', async () => {
    const { get, asked } = engineAnswering({
      '/info': { Swarm: { LocalNodeState: 'active', ControlAvailable: true } },
      '/services': [listed('a1', 'shop_api', 2, 2)],
      '/services/a1': listed('a1', 'shop_api', 2, 2),
      '/tasks': [{ ID: 't1', ServiceID: 'a1' }],
    });
    const engine = swarmEngineOver(get);
    expect(await engine.info(ask)).toEqual({ LocalNodeState: 'active', ControlAvailable: true });
    expect(await engine.services('shop', ask)).toHaveLength(1);
    expect(await engine.inspect(['a1'], ask)).toHaveLength(1);
    expect(await engine.tasks({ service: ['a1'] }, ask)).toEqual([{ ID: 't1', ServiceID: 'a1' }]);
    expect(await engine.tasks({ id: ['t1'] }, ask)).toHaveLength(1);
    expect(asked).toEqual([
      '/info',
      '/services?status=true&filters={"label":["com.docker.stack.namespace=shop"]}',
      '/services/a1?insertDefaults=true',
      '/tasks?filters={"service":["a1"]}',
      '/tasks?filters={"id":["t1"]}',
    ]);
  });

  it('what a removal waits for: the containers (stopped too) and networks with the stack label', async () => {
    const { get, asked } = engineAnswering({ '/containers/json': [{ Id: 'c1' }], '/networks': [{ Id: 'n1' }, { Id: 'n2' }] });
    expect(await swarmEngineOver(get).leftovers('shop', ask)).toEqual({ containers: ['c1'], networks: ['n1', 'n2'] });
    expect(asked.sort()).toEqual(['/containers/json?all=1&filters={"label":["com.docker.stack.namespace=shop"]}', '/networks?filters={"label":["com.docker.stack.namespace=shop"]}']);
    expect(await swarmEngineOver(engineAnswering({ '/containers/json': [], '/networks': { message: 'boom' } }).get).leftovers('shop', ask)).toBeUndefined();
  });

  it('an answer of the wrong shape, or none, is undefined: the CLI is asked', async () => {
    const engine = swarmEngineOver(engineAnswering({ '/info': { NoSwarm: true }, '/services': [{ Name: 'no id' }], '/services/a1': { message: 'no such service' }, '/tasks': { not: 'a list' } }).get);
    expect(await engine.info(ask)).toBeUndefined();
    expect(await engine.services('shop', ask)).toBeUndefined();
    expect(await engine.inspect(['a1'], ask)).toBeUndefined();
    expect(await engine.tasks({ service: ['a1'] }, ask)).toBeUndefined();
    expect(await swarmEngineOver(async () => undefined).info(ask)).toBeUndefined();
  });
});

describe('the stack commands with the engine', () => {
  function cli(stdout: Record<string, string>) {
    const calls: string[] = [];
    const run = async (argv: readonly string[]): Promise<CommandResult> => {
      calls.push(argv.slice(0, 3).join(' '));
      return { exitCode: 0, stdout: stdout[argv.slice(0, 3).join(' ')] ?? '', stderr: '', timedOut: false };
    };
    return { run, calls };
  }
  const ctx = { signal: new AbortController().signal, redact: (text: string) => text, root: '/tmp' } as unknown as OperationContext;
  const swarmSpec = (env: Record<string, string> = {}) => ({ file: '/nonexistent/compose.yaml', stack: 'shop', env });

  it('read the services and their tasks from the engine, and run no docker command', async () => {
    const { get, asked } = engineAnswering({
      '/services': [listed('a1', 'shop_api', 1, 2)],
      '/tasks': [{ ID: 't1', ServiceID: 'a1', Slot: 1, Status: { State: 'failed', Err: 'boom' } }],
    });
    const { run, calls } = cli({});
    const commands = stackCommands(run, 'app', swarmSpec(), ctx, swarmEngineOver(get));
    const services = await commands.services();
    expect(services).toEqual([{ id: 'a1', name: 'api', running: 1, desired: 2, global: false }]);
    expect(await commands.tasks(['a1'])).toEqual([{ id: 't1', service: 'api', desiredState: '', currentState: 'Failed', error: 'boom' }]);
    expect(calls).toEqual([]);
    expect(asked).toHaveLength(2);
  });

  it('name what is left of a removed stack from the engine, with no docker command; from the CLI when the engine does not answer', async () => {
    const { get } = engineAnswering({ '/services': [], '/containers/json': [{ Id: '0123456789abcdef' }], '/networks': [{ Id: 'fedcba9876543210' }] });
    const quiet = cli({});
    expect(await stackCommands(quiet.run, 'app', swarmSpec(), ctx, swarmEngineOver(get)).left()).toEqual(['container 0123456789ab', 'network fedcba987654']);
    expect(quiet.calls).toEqual([]);
    const silent = cli({ 'docker ps -aq': 'c0ffee\n', 'docker network ls': '' });
    expect(await stackCommands(silent.run, 'app', swarmSpec(), ctx, swarmEngineOver(async () => undefined)).left()).toEqual(['container c0ffee']);
    expect(silent.calls).toEqual(['docker service ls', 'docker ps -aq', 'docker network ls']);
  });

  it('ask the docker CLI when the engine does not answer, and when swarm.env names a DOCKER_ variable (another engine)', async () => {
    const rows = { 'docker service ls': '{"ID":"a1","Name":"shop_api","Replicas":"2/2","Mode":"replicated"}\n' };
    const silent = cli(rows);
    expect(await stackCommands(silent.run, 'app', swarmSpec(), ctx, swarmEngineOver(async () => undefined)).services()).toEqual([{ id: 'a1', name: 'api', running: 2, desired: 2, global: false }]);
    expect(silent.calls).toEqual(['docker service ls']);

    const { get, asked } = engineAnswering({ '/services': [listed('x1', 'shop_other', 1, 1)] });
    const elsewhere = cli(rows);
    expect(await stackCommands(elsewhere.run, 'app', swarmSpec({ DOCKER_HOST: 'tcp://builder:2375' }), ctx, swarmEngineOver(get)).services()).toEqual([{ id: 'a1', name: 'api', running: 2, desired: 2, global: false }]);
    expect(asked).toEqual([]);
    expect(elsewhere.calls).toEqual(['docker service ls']);
  });

  it('is a manager by the engine’s /info without a docker command; the CLI says why when the engine does not answer', async () => {
    const { run, calls } = cli({ 'docker info --format': '{"LocalNodeState":"inactive"}', 'docker version --format': '20.10.24\n' });
    await checkSwarmManager(run, {}, swarmEngineOver(engineAnswering({ '/info': { Swarm: { LocalNodeState: 'active', ControlAvailable: true } } }).get));
    expect(calls).toEqual([]);
    await expect(checkSwarmManager(run, {}, swarmEngineOver(async () => undefined))).rejects.toThrow('not part of a swarm');
    expect(calls).toEqual(['docker version --format', 'docker info --format']);
  });
});
