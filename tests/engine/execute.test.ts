import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Desired, DesiredService } from '../../src/model/desired.js';
import { OperationError } from '../../src/model/provider.js';
import { executePlan, leftAfterInterrupt } from '../../src/engine/execute.js';
import type { ApplyOutcome, ProgressEvent, ServiceOutcome } from '../../src/model/outcome.js';
import { planActions } from '../../src/reconcile/plan.js';
import { planRestart } from '../../src/reconcile/plan-restart.js';
import type { AppliedService, Phase } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import type { StateDocument } from '../../src/state/state-file.js';
import { StateStore } from '../../src/state/state-store.js';
import { appliedFrom, compose, observedMap, service, stack } from '../reconcile/factory.js';
import { FakeProvider, within, type FakeOp } from '../support/fake-provider.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

interface Harness {
  desired: Desired;
  plan: Plan;
  fake: FakeProvider;
  store: StateStore;
  stateFile: string;
  stateDir: string;
  progress: ProgressEvent[];
  run(options?: { parallel?: number; signal?: AbortSignal }): Promise<ApplyOutcome>;
  onDisk(): Promise<StateDocument>;
}

/**
 * A run of `services` from the `observed` phases, with `applied` records already in the state
 * file. The plan comes from planActions, as in `stack apply`.
 */
async function harness(
  services: DesiredService[],
  observed: Record<string, Phase>,
  applied: Record<string, AppliedService> = {},
  // A plan made earlier (`stack plan -o`), when things stood otherwise.
  editPlan: (plan: Plan) => Plan = (plan) => plan,
): Promise<Harness> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'stack-execute-')));
  roots.push(root);
  const stateDir = path.join(root, '.stack');
  const stateFile = path.join(stateDir, 'state.json');
  const desired = stack(services);
  const store = await StateStore.open(stateFile, desired.project);
  for (const [name, record] of Object.entries(applied)) await store.set(name, record);
  const observedServices = observedMap(observed);
  const plan = editPlan(planActions(desired, observedServices, store.all()));
  const fake = new FakeProvider();
  const progress: ProgressEvent[] = [];
  return {
    desired,
    plan,
    fake,
    store,
    stateFile,
    stateDir,
    progress,
    run: ({ parallel = 4, signal = new AbortController().signal } = {}) =>
      executePlan({
        desired,
        plan,
        observed: observedServices,
        state: store,
        providers: fake.registry(),
        ctx: { root, stateDir, redact: (text) => text },
        parallel,
        signal,
        onProgress: (event) => progress.push(event),
      }),
    onDisk: async () => JSON.parse(await readFile(stateFile, 'utf8')) as StateDocument,
  };
}

function outcomeOf(outcome: ApplyOutcome, name: string): ServiceOutcome {
  const found = outcome.services.filter((entry) => entry.service === name);
  expect(found, `one outcome for ${name}`).toHaveLength(1);
  return found[0] as ServiceOutcome;
}

/** `seq` of the first journal entry matching, failing the test if there is none. */
function seqOf(fake: FakeProvider, name: string, op: FakeOp, event: 'begin' | 'end' | 'fail'): number {
  const entry = fake.find(name, op, event);
  expect(entry, `${name} ${op} ${event} in the journal`).toBeDefined();
  return entry?.seq ?? -1;
}

const stopped = (name: string, extra: Partial<DesiredService> = {}) => service(name, { state: 'stopped', ...extra });
const running = (svc: DesiredService, pid: number) => appliedFrom(svc, { pid, pgid: pid, startedAt: '2024-01-01T00:00:00.000Z', stoppedByUs: false });

describe('executePlan: ordering', () => {
  it('starts dependencies before dependents: db has started before web is touched', async () => {
    const db = service('db');
    const web = service('web', { dependsOn: ['db'] });
    const h = await harness([web, db], { web: 'absent', db: 'absent' });
    const dbStart = h.fake.hold('db', 'start');
    const run = h.run();
    await h.fake.when('db', 'start');
    expect(h.fake.calls().filter((call) => call.startsWith('web:'))).toEqual([]);
    dbStart.resolve();
    const outcome = await run;
    expect(outcome.failed).toBe(0);
    expect(outcome.interrupted).toBe(false);
    expect(seqOf(h.fake, 'db', 'start', 'end')).toBeLessThan(seqOf(h.fake, 'web', 'install', 'begin'));
    expect(seqOf(h.fake, 'db', 'waitReady', 'end')).toBeLessThan(seqOf(h.fake, 'web', 'start', 'begin'));
    expect(h.fake.calls()).toEqual(['db:install', 'db:start', 'db:waitReady', 'web:install', 'web:start', 'web:waitReady']);
    expect(outcome.services.map((entry) => [entry.service, entry.status, entry.ops])).toEqual([
      ['db', 'done', ['install', 'start']],
      ['web', 'done', ['install', 'start']],
    ]);
  });

  it('stops in reverse: web has stopped before db stops', async () => {
    const db = stopped('db');
    const web = stopped('web', { dependsOn: ['db'] });
    const h = await harness([db, web], { db: 'running', web: 'running' }, { db: running(db, 101), web: running(web, 102) });
    const webStop = h.fake.hold('web', 'stop');
    const run = h.run();
    await h.fake.when('web', 'stop');
    expect(h.fake.find('db', 'stop')).toBeUndefined();
    webStop.resolve();
    const outcome = await run;
    expect(outcome.failed).toBe(0);
    expect(seqOf(h.fake, 'web', 'stop', 'end')).toBeLessThan(seqOf(h.fake, 'db', 'stop', 'begin'));
    expect(h.fake.calls()).toEqual(['web:stop', 'db:stop']);
  });

  it('a rolling restart moves one service at a time, and a start that fails stops the roll before the next service goes down', async () => {
    const db = service('db');
    const api = service('api', { dependsOn: ['db'] });
    const web = service('web', { dependsOn: ['api'] });
    const h = await harness([db, api, web], { db: 'running', api: 'running', web: 'running' }, { db: running(db, 1), api: running(api, 2), web: running(web, 3) }, () =>
      planRestart(stack([db, api, web]), observedMap({ db: 'running', api: 'running', web: 'running' }), ['web', 'db', 'api'], { rolling: true }),
    );
    h.fake.fail('api', 'start', 'api: start exited with code 1');
    const outcome = await h.run({ parallel: 4 });
    expect(h.fake.calls().filter((call) => !call.endsWith(':waitReady'))).toEqual(['db:stop', 'db:start', 'api:stop', 'api:start']);
    expect(seqOf(h.fake, 'db', 'waitReady', 'end')).toBeLessThan(seqOf(h.fake, 'api', 'stop', 'begin'));
    // web never went down: its stop and its start were skipped, each saying why.
    expect(outcome.services.filter((entry) => entry.service === 'web').map((entry) => `${entry.ops.join()} ${entry.status}: ${entry.error}`)).toEqual([
      'stop skipped: the rolling restart stopped: api failed',
      'start skipped: the rolling restart stopped: api failed',
    ]);
  });

  it('a restart of a chain stops everything (dependents first) before starting anything (dependencies first)', async () => {
    const db = service('db', { command: ['postgres', '-p', '5433'] });
    const api = service('api', { dependsOn: ['db'], command: ['node', 'api.js', '--v2'] });
    const web = service('web', { dependsOn: ['api'], command: ['node', 'web.js', '--v2'] });
    const old = (svc: DesiredService, pid: number) => ({ ...running(svc, pid), specHash: 'old', fields: { 'process.argv': 'old' } });
    const h = await harness([db, api, web], { db: 'running', api: 'running', web: 'running' }, { db: old(db, 1), api: old(api, 2), web: old(web, 3) });
    expect(h.plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:stop', 'api:stop', 'db:stop', 'db:start', 'api:start', 'web:start']);
    const outcome = await h.run({ parallel: 4 });
    expect(outcome.failed).toBe(0);
    expect(h.fake.calls().filter((call) => !call.endsWith(':waitReady'))).toEqual(['web:stop', 'api:stop', 'db:stop', 'db:start', 'api:start', 'web:start']);
    expect(seqOf(h.fake, 'db', 'stop', 'end')).toBeLessThan(seqOf(h.fake, 'db', 'start', 'begin'));
    const disk = await h.onDisk();
    for (const name of ['db', 'api', 'web']) {
      expect(disk.services[name]?.pid).toBe(h.fake.started.get(name)?.pid);
      expect(disk.services[name]?.specHash).not.toBe('old');
    }
  });

  it('parallel 1 moves one service at a time, in manifest order', async () => {
    const names = ['c', 'a', 'e', 'b', 'd'];
    const h = await harness(names.map((name) => service(name)), Object.fromEntries(names.map((name) => [name, 'absent' as Phase])));
    const outcome = await h.run({ parallel: 1 });
    expect(outcome.failed).toBe(0);
    expect(h.fake.calls()).toEqual(names.flatMap((name) => [`${name}:install`, `${name}:start`, `${name}:waitReady`]));
    // Strictly one call at a time: every begin is followed by its own end.
    const events = h.fake.journal.map((entry) => `${entry.service}:${entry.op}:${entry.event}`);
    for (let index = 0; index < events.length; index += 2) {
      expect(events[index + 1]).toBe((events[index] as string).replace(':begin', ':end'));
    }
  });

  it('parallel 1 holds back an independent service while another is starting', async () => {
    const h = await harness([service('a'), service('b')], { a: 'absent', b: 'absent' });
    const aStart = h.fake.hold('a', 'start');
    const run = h.run({ parallel: 1 });
    await h.fake.when('a', 'start');
    expect(h.fake.find('b', 'install')).toBeUndefined();
    aStart.resolve();
    await run;
    expect(seqOf(h.fake, 'a', 'waitReady', 'end')).toBeLessThan(seqOf(h.fake, 'b', 'install', 'begin'));
  });

  it('with parallel 4, independent services start at the same time', async () => {
    const names = ['a', 'b', 'c'];
    const h = await harness(names.map((name) => service(name)), { a: 'absent', b: 'absent', c: 'absent' });
    const gates = names.map((name) => h.fake.hold(name, 'start'));
    const run = h.run({ parallel: 4 });
    // Each start is held open until all three have begun: a serial executor would never get there.
    await Promise.all(names.map((name) => h.fake.when(name, 'start')));
    expect(h.fake.journal.filter((entry) => entry.op === 'start' && entry.event === 'end')).toEqual([]);
    for (const gate of gates) gate.resolve();
    const outcome = await run;
    expect(outcome.services.map((entry) => entry.status)).toEqual(['done', 'done', 'done']);
  });

  it('never moves more than `parallel` services at once', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const h = await harness(names.map((name) => service(name)), Object.fromEntries(names.map((name) => [name, 'absent' as Phase])));
    const gates = new Map(names.map((name) => [name, h.fake.hold(name, 'start')]));
    const run = h.run({ parallel: 2 });
    await Promise.all([h.fake.when('a', 'start'), h.fake.when('b', 'start')]);
    expect(h.fake.find('c', 'install')).toBeUndefined();
    gates.get('a')?.resolve();
    await h.fake.when('c', 'start');
    expect(h.fake.find('d', 'install')).toBeUndefined();
    for (const gate of gates.values()) gate.resolve();
    expect((await run).failed).toBe(0);
  });
});

/** The fake as a provider whose start installs too and whose services of `group` start together (compose's project). */
function startsTogether(fake: FakeProvider, group: (name: string) => string | undefined): void {
  Object.assign(fake, { startInstalls: true, startGroup: (svc: DesiredService) => group(svc.name) });
}

describe('executePlan: providers that start services together (compose)', () => {
  it('a service installed and started in one run gets the start alone; an install with no start after it still runs', async () => {
    const h = await harness([service('a'), stopped('b')], { a: 'absent', b: 'absent' });
    startsTogether(h.fake, () => undefined);
    const outcome = await h.run();
    expect(outcome.failed).toBe(0);
    expect(h.fake.calls().sort()).toEqual(['a:start', 'a:waitReady', 'b:install']);
    const disk = await h.onDisk();
    expect(disk.services.a?.pid).toBe(h.fake.started.get('a')?.pid);
    expect(disk.services.b).toMatchObject({ stoppedByUs: true });
  });

  it('every ready start of one group begins at once, the group counted as one of --parallel’s', async () => {
    const names = ['g1', 'x', 'g2', 'g3', 'y', 'g4'];
    const h = await harness(names.map((name) => service(name)), Object.fromEntries(names.map((name) => [name, 'absent' as Phase])));
    startsTogether(h.fake, (name) => (name.startsWith('g') ? 'project' : undefined));
    const gates = new Map(names.map((name) => [name, h.fake.hold(name, 'start')]));
    const run = h.run({ parallel: 2 });
    // g1 takes one place and x the other; g2, g3 and g4 join g1's group; y waits for a place.
    await Promise.all(['g1', 'x', 'g2', 'g3', 'g4'].map((name) => h.fake.when(name, 'start')));
    expect(h.fake.find('y', 'start')).toBeUndefined();
    gates.get('x')?.resolve();
    await h.fake.when('y', 'start');
    for (const gate of gates.values()) gate.resolve();
    expect((await run).failed).toBe(0);
  });

  it('a group holds no place once its starts ended; a dependency in the group still starts first', async () => {
    const h = await harness([service('g1'), service('g2', { dependsOn: ['g1'] }), service('z')], { g1: 'absent', g2: 'absent', z: 'absent' });
    startsTogether(h.fake, (name) => (name.startsWith('g') ? 'project' : undefined));
    const outcome = await h.run({ parallel: 2 });
    expect(outcome.failed).toBe(0);
    expect(seqOf(h.fake, 'g1', 'waitReady', 'end')).toBeLessThan(seqOf(h.fake, 'g2', 'start', 'begin'));
  });

  it('--parallel 1 keeps strict manifest order within a group', async () => {
    const names = ['g1', 'g2', 'g3'];
    const h = await harness(names.map((name) => service(name)), Object.fromEntries(names.map((name) => [name, 'absent' as Phase])));
    startsTogether(h.fake, () => 'project');
    expect((await h.run({ parallel: 1 })).failed).toBe(0);
    expect(h.fake.calls()).toEqual(names.flatMap((name) => [`${name}:start`, `${name}:waitReady`]));
  });
});

describe('executePlan: failures', () => {
  it('a failed start is recorded as such for a process service only (other providers observe the service itself)', async () => {
    const proc = service('proc');
    const plugged = service('plugged', { provider: 'plugin', process: undefined, plugin: { dir: '/srv/plugged' } });
    const h = await harness([proc, plugged], { proc: 'absent', plugged: 'absent' });
    h.fake.fail('proc', 'start', 'proc: executable "x" not found on PATH');
    h.fake.fail('plugged', 'start', 'plugged: start exited with code 1');
    await h.run();
    expect(h.store.get('proc')).toMatchObject({ stoppedByUs: false, lastExit: { reason: 'executable "x" not found on PATH', duringStart: true } });
    expect(h.store.get('plugged')?.lastExit).toBeUndefined();
    expect(h.store.get('plugged')?.stoppedByUs).not.toBe(false);
  });

  it('a failed start skips its dependents (naming the dependency) and nothing else', async () => {
    const db = service('db');
    const api = service('api', { dependsOn: ['db'] });
    const web = service('web', { dependsOn: ['api'] });
    const cache = service('cache');
    const h = await harness([db, api, web, cache], { db: 'absent', api: 'absent', web: 'absent', cache: 'absent' });
    h.fake.fail('db', 'start', 'port 5432 is already in use');
    const outcome = await h.run();
    expect(outcome.failed).toBe(1);
    expect(outcome.interrupted).toBe(false);
    expect(outcomeOf(outcome, 'db')).toMatchObject({ status: 'failed', error: expect.stringContaining('port 5432 is already in use') });
    expect(outcomeOf(outcome, 'api')).toMatchObject({ status: 'skipped', error: 'dependency db failed' });
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'skipped', error: expect.stringContaining('dependency api') });
    expect(outcomeOf(outcome, 'cache')).toMatchObject({ status: 'done' });
    expect(h.fake.calls().filter((call) => call.startsWith('api:') || call.startsWith('web:'))).toEqual([]);
    const disk = await h.onDisk();
    expect(disk.services.db?.pid).toBeUndefined();
    expect(disk.services.cache?.pid).toBe(h.fake.started.get('cache')?.pid);
  });

  it('two failures are both counted', async () => {
    const h = await harness([service('a'), service('b'), service('c')], { a: 'absent', b: 'absent', c: 'absent' });
    h.fake.fail('a', 'install', 'npm ci failed');
    h.fake.fail('c', 'start', 'no such file');
    const outcome = await h.run();
    expect(outcome.failed).toBe(2);
    expect(outcome.services.map((entry) => [entry.service, entry.status]).sort()).toEqual([
      ['a', 'failed'],
      ['b', 'done'],
      ['c', 'failed'],
    ]);
    expect(outcomeOf(outcome, 'a').error).toContain('npm ci failed');
    expect(h.fake.find('a', 'start')).toBeUndefined();
  });

  it('a dependent whose dependency is neither running nor started by this run is skipped', async () => {
    // db used up its restarts: the plan leaves it alone and blocks web too. A plan saved while
    // db still ran would start web: the run checks again and skips it.
    const db = service('db');
    const web = service('web', { dependsOn: ['db'] });
    const savedEarlier = (plan: Plan): Plan => {
      expect(plan.blocked.map((entry) => `${entry.service}: ${entry.reason}`)).toEqual(['db: gave up after 5 restarts; run stack restart db', 'web: dependency db is blocked']);
      return { ...plan, blocked: [], actions: planActions(stack([db, web]), observedMap({ db: 'running', web: 'absent' }), new Map()).actions.filter((action) => action.service === 'web') };
    };
    const h = await harness([db, web], { db: 'crashed', web: 'absent' }, { db: appliedFrom(db, { gaveUp: true, restarts: 5 }) }, savedEarlier);
    expect(h.plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:install', 'web:start']);
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'skipped', error: 'dependency db is not running' });
    expect(h.fake.calls()).toEqual([]);
  });

  it('a dependency that was already running but declares ready and fails it holds its dependent back', async () => {
    const db = service('db', { ready: { check: { kind: 'tcp', host: '127.0.0.1', port: 5432 }, timeoutMs: 1000, intervalMs: 50, failureThreshold: 1 } });
    const web = service('web', { dependsOn: ['db'] });
    const h = await harness([db, web], { db: 'running', web: 'absent' }, { db: running(db, 77) });
    expect(h.plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:install', 'web:start']);
    h.fake.fail('db', 'waitReady', 'connection refused on 127.0.0.1:5432\nmore detail');
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'skipped', error: 'dependency db is not ready: connection refused on 127.0.0.1:5432' });
    expect(h.fake.find('web', 'install')).toBeUndefined();
  });

  it('a stop failure leaves the services it depends on running (their stops are skipped)', async () => {
    const db = stopped('db');
    const api = stopped('api', { dependsOn: ['db'] });
    const web = stopped('web', { dependsOn: ['api'] });
    const cache = stopped('cache');
    const h = await harness([db, api, cache, web], { db: 'running', api: 'running', cache: 'running', web: 'running' }, {
      db: running(db, 1),
      api: running(api, 2),
      cache: running(cache, 3),
      web: running(web, 4),
    });
    h.fake.fail('web', 'stop', 'permission denied');
    const outcome = await h.run();
    expect(outcome.failed).toBe(1);
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'failed', error: expect.stringContaining('permission denied') });
    expect(outcomeOf(outcome, 'api')).toMatchObject({ status: 'skipped', error: 'web, which depends on it, did not stop' });
    expect(outcomeOf(outcome, 'db')).toMatchObject({ status: 'skipped', error: 'api, which depends on it, did not stop' });
    expect(outcomeOf(outcome, 'cache').status).toBe('done');
    expect(h.fake.find('api', 'stop')).toBeUndefined();
    expect(h.fake.find('db', 'stop')).toBeUndefined();
    const disk = await h.onDisk();
    expect(disk.services.db?.pid).toBe(1);
    expect(disk.services.web?.pid).toBe(4);
    expect(disk.services.cache?.pid).toBeUndefined();
  });

  it('a restart whose stop failed does not start a second run', async () => {
    const web = service('web');
    const h = await harness([web], { web: 'running' }, { web: { ...running(web, 4), specHash: 'an older spec' } });
    expect(h.plan.actions.map((action) => action.op)).toEqual(['stop', 'start']);
    h.fake.fail('web', 'stop', 'permission denied');
    const outcome = await h.run();
    const outcomes = outcome.services.filter((entry) => entry.service === 'web');
    expect(outcomes.map((entry) => [entry.ops.join(), entry.status])).toEqual([['stop', 'failed'], ['start', 'skipped']]);
    expect(outcomes[1]?.error).toBe('its stop failed');
    expect(h.fake.find('web', 'start')).toBeUndefined();
    expect((await h.onDisk()).services.web?.pid).toBe(4);
  });

  it('a failed readiness check stops the service again and reports the readiness message', async () => {
    const web = service('web');
    const worker = service('worker', { dependsOn: ['web'] });
    const h = await harness([web, worker], { web: 'absent', worker: 'absent' });
    h.fake.fail('web', 'waitReady', 'http://127.0.0.1:3000/health answered 503');
    const outcome = await h.run();
    expect(outcome.failed).toBe(1);
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'failed', error: expect.stringContaining('answered 503') });
    expect(outcomeOf(outcome, 'worker')).toMatchObject({ status: 'skipped', error: 'dependency web failed' });
    expect(h.fake.calls()).toEqual(['web:install', 'web:start', 'web:waitReady', 'web:stop']);
    expect(seqOf(h.fake, 'web', 'waitReady', 'fail')).toBeLessThan(seqOf(h.fake, 'web', 'stop', 'begin'));
    const disk = await h.onDisk();
    expect(disk.services.web?.pid).toBeUndefined();
  });

  it('an OperationError from readiness keeps its message in the outcome', async () => {
    const h = await harness([service('web')], { web: 'absent' });
    h.fake.fail('web', 'waitReady', new OperationError('web', 'log line "listening" not seen within 1000 ms'));
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'failed', error: expect.stringContaining('not seen within 1000 ms') });
    expect(h.fake.find('web', 'stop')).toBeDefined();
  });
});

describe('executePlan: the state file', () => {
  it('records pid and start time as soon as a service starts', async () => {
    const web = service('web');
    const h = await harness([web], { web: 'absent' });
    const outcome = await h.run();
    expect(outcome.failed).toBe(0);
    const started = h.fake.started.get('web');
    const disk = await h.onDisk();
    expect(disk.project).toBe('devstack');
    expect(disk.services.web).toMatchObject({
      provider: 'process',
      specHash: appliedFrom(web).specHash,
      pid: started?.pid,
      pgid: started?.pgid,
      startTicks: started?.startTicks,
      startedAt: started?.startedAt,
      stoppedByUs: false,
      restarts: 0,
    });
  });

  it('a stop clears the pid and records stoppedByUs', async () => {
    const web = stopped('web');
    const h = await harness([web], { web: 'running' }, { web: running(web, 321) });
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'done', ops: ['stop'] });
    const record = (await h.onDisk()).services.web;
    expect(record?.stoppedByUs).toBe(true);
    expect(record?.pid).toBeUndefined();
    expect(record?.pgid).toBeUndefined();
    expect(record?.lastExit).toMatchObject({ code: null, signal: 'SIGTERM', reason: 'stopped by stack' });
  });

  it('uninstalling a disabled service deletes its record', async () => {
    const web = service('web', { enabled: false });
    const db = service('db');
    const h = await harness([db, web], { web: 'running', db: 'running' }, { web: running(web, 5), db: running(db, 6) });
    expect(h.plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:stop', 'web:uninstall']);
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'done', ops: ['stop', 'uninstall'] });
    expect(h.fake.calls()).toEqual(['web:stop', 'web:uninstall']);
    const disk = await h.onDisk();
    expect(Object.keys(disk.services)).toEqual(['db']);
  });

  it('a service removed from stack.yaml is stopped, uninstalled and forgotten', async () => {
    const gone = service('gone');
    const db = service('db');
    const h = await harness([db], { db: 'running', gone: 'running' }, { gone: running(gone, 8), db: running(db, 9) });
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'gone')).toMatchObject({ status: 'done', ops: ['stop', 'uninstall'] });
    expect(h.fake.calls()).toEqual(['gone:stop', 'gone:uninstall']);
    expect(Object.keys((await h.onDisk()).services)).toEqual(['db']);
  });

  it('services removed from stack.yaml stop as their records say: dependents first, each with its own stop', async () => {
    const db = service('db');
    const web = service('web', { dependsOn: ['db'], stop: { signal: 'SIGINT', timeoutMs: 30_000 } });
    // Recorded web first: the reverse of the records would stop db first.
    const records = {
      web: { ...running(web, 8), stop: web.stop, dependsOn: ['db'] },
      db: { ...running(db, 9), stop: db.stop, dependsOn: [] },
    };
    const h = await harness([], { web: 'running', db: 'running' }, records);
    expect(h.plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:stop', 'web:uninstall', 'db:stop', 'db:uninstall']);
    const outcome = await h.run({ parallel: 4 });
    expect(outcome.failed).toBe(0);
    expect(h.fake.stopSpecs.get('web')).toEqual({ signal: 'SIGINT', timeoutMs: 30_000 });
    expect(h.fake.stopSpecs.get('db')).toEqual({ signal: 'SIGTERM', timeoutMs: 10_000 });

    // The dependency waits for its dependent's stop: when that fails, it is left running.
    const failing = await harness([], { web: 'running', db: 'running' }, records);
    failing.fake.fail('web', 'stop', 'stuck');
    const failed = await failing.run({ parallel: 4 });
    expect(outcomeOf(failed, 'web').status).toBe('failed');
    expect(outcomeOf(failed, 'db')).toMatchObject({ status: 'skipped', error: expect.stringContaining('web, which depends on it, did not stop') });
    expect(failing.fake.calls()).not.toContain('db:stop');
  });

  it('stops removed services whose records depend on each other, or on themselves (a hand-edited state)', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => service(name));
    const h = await harness([], { a: 'running', b: 'running', c: 'running' }, {
      a: { ...running(a as DesiredService, 7), dependsOn: ['b'] },
      b: { ...running(b as DesiredService, 8), dependsOn: ['a'] },
      c: { ...running(c as DesiredService, 9), dependsOn: ['c'] },
    });
    const outcome = await h.run();
    expect(outcome.services.map((entry) => `${entry.service}:${entry.status}`).sort()).toEqual(['a:done', 'b:done', 'c:done']);
    expect(h.fake.calls().filter((call) => call.endsWith(':stop')).sort()).toEqual(['a:stop', 'b:stop', 'c:stop']);
    expect((await h.onDisk()).services).toEqual({});
  });

  it('records how stack.yaml says to stop each service and what it depends on, also when only that changed', async () => {
    const db = service('db');
    const web = service('web', { dependsOn: ['db'], stop: { signal: 'SIGINT', timeoutMs: 5_000 } });
    const h = await harness([db, web, service('new')], { db: 'running', web: 'running', new: 'absent' }, { db: running(db, 8), web: running(service('web'), 9) });
    expect(h.plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['new:install', 'new:start']);
    await h.run();
    const disk = await h.onDisk();
    expect(disk.services.web).toMatchObject({ pid: 9, stop: { signal: 'SIGINT', timeoutMs: 5_000 }, dependsOn: ['db'] });
    expect(disk.services.db).toMatchObject({ pid: 8, stop: { signal: 'SIGTERM', timeoutMs: 10_000 }, dependsOn: [] });
    expect(disk.services.new).toMatchObject({ stop: { signal: 'SIGTERM', timeoutMs: 10_000 }, dependsOn: [] });
  });

  it('reports begin and end progress for every unit that ran', async () => {
    const h = await harness([service('a'), service('b', { dependsOn: ['a'] })], { a: 'absent', b: 'absent' });
    const outcome = await h.run();
    expect(h.progress.map((event) => (event.type === 'begin' ? `begin ${event.service}` : `end ${event.outcome.service} ${event.outcome.status}`))).toEqual([
      'begin a',
      'end a done',
      'begin b',
      'end b done',
    ]);
    expect(outcome.services.every((entry) => entry.durationMs >= 0)).toBe(true);
  });
});

describe('executePlan: interruption', () => {
  it('an abort during a start returns interrupted, and that start is still recorded', async () => {
    const db = service('db');
    const web = service('web', { dependsOn: ['db'] });
    const h = await harness([db, web], { db: 'absent', web: 'absent' });
    const dbStart = h.fake.hold('db', 'start');
    const controller = new AbortController();
    let settled = false;
    const run = h.run({ signal: controller.signal }).finally(() => {
      settled = true;
    });
    await h.fake.when('db', 'start');
    controller.abort();
    // The provider's start finishes only after the abort (a spawn that was already under way).
    dbStart.resolve();
    const outcome = await within(run, 'executePlan to settle after the abort');
    expect(settled).toBe(true);
    expect(outcome.interrupted).toBe(true);
    expect(outcomeOf(outcome, 'db').status).toBe('interrupted');
    expect(outcomeOf(outcome, 'web').status).toBe('interrupted');
    expect(h.fake.find('web', 'install')).toBeUndefined();
    expect(h.fake.find('db', 'start', 'end')?.aborted).toBe(true);
    const disk = await h.onDisk();
    expect(disk.services.db?.pid).toBe(h.fake.started.get('db')?.pid);
    expect(disk.services.db?.startedAt).toBe(h.fake.started.get('db')?.startedAt);
    expect(h.store.get('db')?.pid).toBe(h.fake.started.get('db')?.pid);
  });

  it('executePlan does not return while an interrupted start is still in flight', async () => {
    const db = service('db');
    const web = service('web', { dependsOn: ['db'] });
    const h = await harness([db, web], { db: 'absent', web: 'absent' });
    const dbStart = h.fake.hold('db', 'start');
    const controller = new AbortController();
    let settled = false;
    const run = h.run({ signal: controller.signal }).finally(() => {
      settled = true;
    });
    await h.fake.when('db', 'start');
    controller.abort();
    // This flush is queued behind any flush of the executor's, so once it is done an executor that
    // did not wait would have returned.
    await h.store.flush();
    for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(h.fake.find('db', 'start', 'end')).toBeUndefined();
    // What an interrupted service was left as is only known once its calls land: not said yet.
    expect(h.progress.filter((event) => event.type === 'end')).toEqual([]);
    dbStart.resolve();
    const outcome = await within(run, 'executePlan to settle');
    expect(outcome.interrupted).toBe(true);
    const pid = h.fake.started.get('db')?.pid;
    expect((await h.onDisk()).services.db?.pid).toBe(pid);
    // The JSON outcome's `error` stays "interrupted"; what each was left as is its note.
    expect(h.progress.flatMap((event) => (event.type === 'end' ? [`${event.outcome.service}: ${event.outcome.error}, ${event.outcome.note}`] : []))).toEqual([
      `db: interrupted, left running (pid ${pid})`,
      'web: interrupted, not started',
    ]);
  });

  it('an abort before the run begins moves nothing', async () => {
    const h = await harness([service('a')], { a: 'absent' });
    const controller = new AbortController();
    controller.abort();
    const outcome = await h.run({ signal: controller.signal });
    expect(outcome.interrupted).toBe(true);
    expect(outcomeOf(outcome, 'a').status).toBe('interrupted');
    expect(h.fake.calls()).toEqual([]);
  });
});

describe('leftAfterInterrupt: what an interrupted unit left', () => {
  // The provider is asked: a process's runs are groups stack spawned, named by their pid; compose's are not.
  const fake = new FakeProvider();
  const providerOf = (desired: DesiredService) =>
    desired.provider === 'process' ? fake : { capabilities: { ...fake.capabilities, grouped: false }, describeRun: () => undefined };
  const ready = { check: { kind: 'tcp', host: '127.0.0.1', port: 5432 }, timeoutMs: 30_000, intervalMs: 250, failureThreshold: 1 } as const;
  const db = service('db');
  it.each([
    ['a start that ran, with a ready check', ['install', 'start'], service('db', { ready }), { pid: 42 }, { pid: undefined }, 'left running (pid 42), not yet ready'],
    ['a start that ran, nothing to wait for', ['start'], db, { pid: 42 }, { pid: undefined }, 'left running (pid 42)'],
    ['a start that reached its machine and never spawned', ['install', 'start'], db, undefined, { pid: undefined }, 'not started'],
    ['a start of a crashed service that never spawned: its dead pid is no new run', ['start'], db, { pid: 77 }, { pid: 77 }, 'not started'],
    ['a start of a crashed service that spawned', ['start'], db, { pid: 78 }, { pid: 77 }, 'left running (pid 78)'],
    ['a start unit that never began', ['start'], db, { pid: 4 }, undefined, 'not started'],
    ['a stop that landed', ['stop'], db, { pid: undefined }, { pid: 42 }, 'stopped'],
    ['a stop cut short', ['stop'], db, { pid: 42 }, { pid: 42 }, 'still running (pid 42): its stop was cut short'],
    ['a stop unit that never began', ['stop'], db, { pid: 42 }, undefined, 'not stopped'],
    ['an install that never began', ['install'], db, undefined, undefined, 'not installed'],
    ['a compose service, which only a probe can tell', ['start'], compose('db'), { pid: undefined }, { pid: undefined }, undefined],
  ] as const)('%s', (_label, ops, desired, record, began, words) => {
    expect(leftAfterInterrupt(ops, desired, record && appliedFrom(desired, record), began, true, providerOf(desired))).toBe(words);
  });

  it('says it cannot tell when a call had not returned by the end of the grace period', () => {
    expect(leftAfterInterrupt(['start'], db, appliedFrom(db, { pid: 42 }), { pid: undefined }, false, providerOf(db))).toMatch(/^unknown: a call had not returned/);
  });
});

describe('executePlan: an interrupted restart', () => {
  it('cut short in its stop: the stop says the service still runs, the start that never began says not started', async () => {
    const web = service('web');
    const h = await harness([web], { web: 'running' }, { web: { ...running(web, 4), specHash: 'an older spec' } });
    expect(h.plan.actions.map((action) => action.op)).toEqual(['stop', 'start']);
    const stop = h.fake.hold('web', 'stop');
    const controller = new AbortController();
    const run = h.run({ signal: controller.signal });
    await h.fake.when('web', 'stop');
    controller.abort();
    stop.reject(new Error('interrupted'));
    const outcome = await within(run, 'executePlan to settle');
    expect(outcome.services.filter((entry) => entry.service === 'web').map((entry) => [entry.ops.join(), entry.status, entry.error, entry.note])).toEqual([
      ['stop', 'interrupted', 'interrupted', 'still running (pid 4): its stop was cut short'],
      ['start', 'interrupted', 'interrupted', 'not started'],
    ]);
    expect(h.fake.find('web', 'start')).toBeUndefined();
  });
});

describe('executePlan: the settle check', () => {
  it('a start whose run exits at once with code 3 is reported failed', async () => {
    const web = service('web');
    const h = await harness([web], { web: 'absent' });
    h.fake.exitAfterStart('web', async () => ({ code: 3, signal: null }));
    const outcome = await h.run();
    expect(outcome.failed).toBe(1);
    expect(outcomeOf(outcome, 'web')).toMatchObject({ status: 'failed', error: expect.stringMatching(/^exited with code 3 right after it started/) });
    const record = (await h.onDisk()).services.web;
    expect(record?.pid).toBeUndefined();
    expect(record?.stoppedByUs).toBe(false);
    expect(record?.lastExit).toMatchObject({ code: 3, signal: null, reason: 'exited with code 3 right after it started', duringStart: true });
  });

  it('the early-exit failure quotes the end of the service log', async () => {
    const h = await harness([service('web')], { web: 'absent' });
    h.fake.print('web', 'an earlier run: not quoted');
    h.fake.exitAfterStart('web', async () => {
      h.fake.print('web', 'booting');
      h.fake.print('web', 'Error: cannot find module ./web.js');
      return { code: 1, signal: null };
    });
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web').error).toContain('exited with code 1 right after it started');
    expect(outcomeOf(outcome, 'web').error).toContain('cannot find module ./web.js');
    expect(outcomeOf(outcome, 'web').error).not.toContain('an earlier run');
  });

  it('with `start.settle: 0ms` an exit right after the start is not waited for: the start is done', async () => {
    const h = await harness([service('web', { start: { settleMs: 0 } })], { web: 'absent' });
    h.fake.exitAfterStart('web', async () => ({ code: 3, signal: null }));
    const outcome = await h.run();
    expect(outcome.failed).toBe(0);
    expect(outcomeOf(outcome, 'web').status).toBe('done');
  });

  it('a start that exits within its settle is told once, as failed, never done first; its dependent once, as done', async () => {
    const web = service('web');
    const worker = service('worker', { dependsOn: ['web'] });
    const h = await harness([web, worker], { web: 'absent', worker: 'absent' });
    h.fake.exitAfterStart('web', async () => ({ code: 3, signal: null, seenAt: Date.now() }));
    h.fake.exitAfterStart('worker', () => new Promise(() => undefined));
    await h.run();
    const ends = h.progress.flatMap((event) => (event.type === 'end' ? [[event.outcome.service, event.outcome.status]] : []));
    expect(ends.filter(([name]) => name === 'web')).toEqual([['web', 'failed']]);
    expect(ends.filter(([name]) => name === 'worker')).toEqual([['worker', 'done']]);
  });

  it("an error that names its service (`web: not ready: …`) is kept without the name, which the outcome carries", async () => {
    const h = await harness([service('web')], { web: 'absent' });
    h.fake.fail('web', 'start', new OperationError('web', 'web: not ready: tcp 127.0.0.1:1: connection refused after 1s'));
    const outcome = await h.run();
    expect(outcomeOf(outcome, 'web').error).toBe('not ready: tcp 127.0.0.1:1: connection refused after 1s');
  });

  it('a start whose run is still going after the settle time is done', async () => {
    const h = await harness([service('web')], { web: 'absent' });
    h.fake.exitAfterStart('web', () => new Promise(() => undefined));
    const outcome = await h.run();
    expect(outcome.failed).toBe(0);
    expect(outcomeOf(outcome, 'web').status).toBe('done');
    expect(h.progress.filter((event) => event.type === 'end')).toHaveLength(1);
    expect((await h.onDisk()).services.web?.pid).toBe(h.fake.started.get('web')?.pid);
  });
});
