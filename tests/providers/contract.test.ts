// One contract, every provider (issue 24, docs/architecture.md "The provider contract"): the
// process, compose and swarm (real docker), plugin and exec providers and the tests' FakeProvider are held to
// the same semantics of observe, start, stop, restart, uninstall and logs, to idempotency, and
// to the facts a failed start carries.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DesiredService } from '../../src/model/desired.js';
import type { AppliedService } from '../../src/model/observed.js';
import { appliedOfStart, OperationError, type OperationContext, type Provider, type StartedService } from '../../src/model/provider.js';
import { StackError } from '../../src/model/errors.js';
import { createComposeProvider } from '../../src/providers/compose/compose-provider.js';
import { createExecProvider } from '../../src/providers/exec/exec-provider.js';
import { createPluginProvider } from '../../src/providers/plugin/plugin-provider.js';
import { createProcessProvider } from '../../src/providers/process/process-provider.js';
import { createSwarmProvider } from '../../src/providers/swarm/swarm-provider.js';
import { docker, removeProject, requireDocker, SKIP_DOCKER, TEST_IMAGE, uniqueProject } from '../support/docker.js';
import { FakeProvider } from '../support/fake-provider.js';
import { desiredService } from '../support/desired-service.js';
import { GroupTracker, makeContext, makeService, makeTempDir, probe, removeDir, waitFor } from './helpers.js';
import { pluginService, writePlugin } from './plugin/fixture.js';
import { daemonCommands, execService, sh } from './exec/fixture.js';
import { specOf } from '../../src/reconcile/spec.js';

/** What one provider needs to be held to the contract. */
interface Harness {
  provider: Provider;
  ctx: OperationContext;
  /** A service that prints `marker`, then `tick` every 200 ms until stopped. */
  service(name: string, marker: string): Promise<DesiredService>;
  /** A service whose start (with its readiness wait) fails after printing `boom`, with exit code 3 where the provider runs the command. */
  failing(name: string): Promise<DesiredService>;
  /** What the engine would record after `started`. */
  record(service: DesiredService, started: StartedService): AppliedService;
  /** Whether the failure's output is the service's own (not docker's complaint). */
  quotesOwnOutput: boolean;
  /** False where a stop removes the run's log with it (swarm deletes the tasks of a service scaled to 0). */
  logsOutliveStop?: false;
  cleanup(): Promise<void>;
}

const TICKER = (marker: string) => `echo ${marker}; while true; do echo tick; sleep 0.2; done`;

async function processHarness(): Promise<Harness> {
  const root = await makeTempDir();
  const groups = new GroupTracker();
  const provider = createProcessProvider();
  const base = makeContext(root);
  const ctx: OperationContext = { ...base, stateDir: path.join(root, '.stack') };
  const track = (started: StartedService) => groups.track(started.pgid);
  const wrapped: Provider = { ...provider, start: async (service, opCtx) => {
    const started = await provider.start(service, opCtx);
    track(started);
    return started;
  } };
  return {
    provider: wrapped,
    ctx,
    service: async (name, marker) => makeService(root, ['/bin/sh', '-c', TICKER(marker)], { name }),
    // The process provider's start resolves once spawned: its readiness wait is what fails.
    failing: async (name) => makeService(root, ['/bin/sh', '-c', 'echo boom; exit 3'], { name, ready: probe({ kind: 'tcp', host: '127.0.0.1', port: 1 }, 5000, 20) }),
    record: (service, started) => ({ ...appliedOfStart('process', started), specHash: 'h' }),
    quotesOwnOutput: true,
    cleanup: async () => {
      await groups.killAll();
      await removeDir(root);
    },
  };
}

async function pluginHarness(): Promise<Harness> {
  const root = await makeTempDir();
  const dir = await writePlugin(root, 'ticker', [
    'name: ticker',
    'lifecycle:',
    // A start of what runs leaves it be, as a plugin's start should: a second ticker would outlive the stop.
    `  start: if [ -f "$STACK_SERVICE.pid" ] && kill -0 $(cat "$STACK_SERVICE.pid") 2>/dev/null; then exit 0; fi; echo "$MARKER"; sh -c 'while true; do echo tick; sleep 0.2; done' & echo $! > "$STACK_SERVICE.pid"`,
    `  stop: if [ -f "$STACK_SERVICE.pid" ]; then kill $(cat "$STACK_SERVICE.pid"); rm -f "$STACK_SERVICE.pid"; fi`,
    `  status: if [ -f "$STACK_SERVICE.pid" ] && kill -0 $(cat "$STACK_SERVICE.pid") 2>/dev/null; then echo running; else echo stopped; fi`,
  ]);
  const broken = await writePlugin(root, 'broken', ['name: broken', 'lifecycle:', '  start: echo boom; exit 3', '  stop: "true"', '  status: echo stopped']);
  const provider = createPluginProvider({ output: () => undefined, drained: async () => undefined });
  // Every service handed out is stopped at the end: a test that leaves one running (`twice`) must not leak its ticker.
  const names = new Set<string>();
  return {
    provider,
    ctx: makeContext(root),
    service: async (name, marker) => {
      names.add(name);
      return pluginService(name, dir, { plugin: { dir, env: { MARKER: marker }, envFiles: [] } });
    },
    failing: async (name) => pluginService(name, broken),
    record: (service, started) => ({ ...appliedOfStart('plugin', started), specHash: 'h', fields: { 'plugin.dir': service.plugin?.dir ?? '' } }),
    quotesOwnOutput: true,
    cleanup: async () => {
      for (const name of names) {
        await provider.stop(name, { ...appliedOfStart('plugin', { startedAt: '' }), fields: { 'plugin.dir': dir } }, { signal: 'SIGTERM', timeoutMs: 1000 }, makeContext(root)).catch(() => undefined);
      }
      await removeDir(root);
    },
  };
}

async function composeHarness(): Promise<Harness> {
  const root = await makeTempDir();
  const provider = createComposeProvider({ pollMs: 100 });
  const projects: string[] = [];
  // PID 1 in a container ignores SIGTERM unless it traps it: the trap keeps stops fast.
  const compose = async (name: string, text: string): Promise<DesiredService> => {
    const file = path.join(root, `${name}.yaml`);
    await writeFile(file, text);
    const project = uniqueProject('stk-contract');
    projects.push(project);
    const { process: _process, ...base } = makeService(root, ['unused'], { name, stop: { signal: 'SIGTERM', timeoutMs: 5000 } });
    return desiredService({ ...base, provider: 'compose', compose: { file, project, services: [], profiles: [], scale: {}, wait: false, env: {} } });
  };
  return {
    provider,
    ctx: makeContext(root),
    service: (name, marker) =>
      compose(name, `services:\n  main:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(`trap "exit 0" TERM; ${TICKER(marker).replace('sleep 0.2; done', 'sleep 0.2 & wait; done')}`)}]\n`),
    // A service with neither an image nor a build: `docker compose up` refuses it.
    failing: (name) => compose(name, 'services:\n  main:\n    command: ["sh"]\n'),
    record: (service) => ({ ...appliedOfStart('compose', { startedAt: '' }), specHash: 'h', fields: { 'compose.file': service.compose?.file ?? '', 'compose.project': service.compose?.project ?? '' } }),
    quotesOwnOutput: false,
    cleanup: async () => {
      for (const project of projects) removeProject(project);
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function swarmHarness(): Promise<Harness> {
  const root = await makeTempDir();
  const provider = createSwarmProvider({ pollMs: 100 });
  const stacks: string[] = [];
  const swarm = async (name: string, text: string): Promise<DesiredService> => {
    const file = path.join(root, `${name}.yaml`);
    await writeFile(file, text);
    const stack = uniqueProject('stk-contract');
    stacks.push(stack);
    const { process: _process, ...base } = makeService(root, ['unused'], { name, stop: { signal: 'SIGTERM', timeoutMs: 5000 } });
    return desiredService({ ...base, provider: 'swarm', swarm: { file, stack, env: {} } });
  };
  return {
    provider,
    ctx: makeContext(root),
    service: (name, marker) =>
      swarm(name, `version: "3.8"\nservices:\n  main:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(`trap "exit 0" TERM; ${TICKER(marker).replace('sleep 0.2; done', 'sleep 0.2 & wait; done')}`)}]\n    stop_grace_period: 2s\n`),
    // A service with no image: `docker stack deploy` refuses it.
    failing: (name) => swarm(name, 'version: "3.8"\nservices:\n  main:\n    command: ["sh"]\n'),
    record: (service) => ({ ...appliedOfStart('swarm', { startedAt: '' }), specHash: 'h', fields: { 'swarm.file': service.swarm?.file ?? '', 'swarm.stack': service.swarm?.stack ?? '' } }),
    quotesOwnOutput: false,
    logsOutliveStop: false,
    cleanup: async () => {
      for (const stack of stacks) docker(['stack', 'rm', stack]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function execHarness(): Promise<Harness> {
  const root = await makeTempDir();
  const provider = createExecProvider();
  const pidFiles: string[] = [];
  const exec = (name: string, daemon: string, start?: string[]): DesiredService => {
    const pidFile = path.join(root, `${name}.pid`);
    pidFiles.push(pidFile);
    const commands = daemonCommands(pidFile, daemon);
    return execService(root, name, { ...commands, start: start ?? commands.start });
  };
  return {
    provider,
    ctx: makeContext(root),
    // The ticker is left behind in start's process group, writing to the log start was given.
    service: async (name, marker) => exec(name, `echo ${marker}; while true; do echo tick; sleep 0.2; done`),
    failing: async (name) => exec(name, 'true', sh('echo boom; exit 3')),
    record: (service, started) => ({ ...appliedOfStart('exec', started), specHash: 'h', fields: specOf(service).fields }),
    quotesOwnOutput: true,
    cleanup: async () => {
      for (const pidFile of pidFiles) {
        const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
        if (pid > 0) killIfAlive(pid);
      }
      await removeDir(root);
    },
  };
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // stopped already, as it should be
  }
}

async function fakeHarness(): Promise<Harness> {
  const root = await makeTempDir();
  const fake = new FakeProvider();
  const tickers: NodeJS.Timeout[] = [];
  const provider: Provider = Object.assign(Object.create(fake) as FakeProvider, {
    start: async (service: DesiredService, ctx: OperationContext) => {
      const started = await fake.start(service, ctx);
      const ticker = setInterval(() => fake.print(service.name, 'tick'), 50);
      tickers.push(ticker);
      return started;
    },
  });
  return {
    provider,
    ctx: makeContext(root),
    service: async (name, marker) => makeService(root, ['unused'], { name, env: { MARKER: marker } }),
    failing: async (name) => {
      fake.fail(name, 'start', new OperationError(name, `${name}: exited with code 3`, { exitCode: 3, logTail: ['boom'] }));
      return makeService(root, ['unused'], { name });
    },
    record: (_service, started) => ({ ...appliedOfStart('process', started), specHash: 'h' }),
    quotesOwnOutput: true,
    cleanup: async () => {
      for (const ticker of tickers) clearInterval(ticker);
      await removeDir(root);
    },
  };
}

const arms: [string, () => Promise<Harness>, { docker?: boolean }][] = [
  ['process', processHarness, {}],
  ['compose', composeHarness, { docker: true }],
  ['swarm', swarmHarness, { docker: true }],
  ['plugin', pluginHarness, {}],
  ['exec', execHarness, {}],
  ['fake', fakeHarness, {}],
];

requireDocker();

/** The lines `logs` gives for a tail (no follow). */
async function tailOf(h: Harness, service: DesiredService, record: AppliedService | undefined, lines = 100): Promise<string[]> {
  const seen: string[] = [];
  await h.provider.logs(service.name, service, record, { lines, follow: false, signal: new AbortController().signal, write: (more) => seen.push(...more.filter((line) => line.stream !== 'stack').map((line) => line.text)) }, h.ctx);
  return seen;
}

// `docker compose logs` puts the container's name before each line.
const said = (lines: readonly string[], text: string) => lines.some((line) => line === text || line.endsWith(`| ${text}`));

const phaseOf = async (h: Harness, service: DesiredService, record: AppliedService | undefined) => (await h.provider.observe(service.name, service, record, h.ctx)).phase;

describe.each(arms)('the provider contract: %s', (_label, make, options) => {
  const skip = options.docker === true && SKIP_DOCKER;
  let h: Harness;
  beforeAll(async () => {
    if (!skip) h = await make();
  }, 60_000);
  afterAll(async () => {
    await h?.cleanup();
  }, 60_000);
  const test = (name: string, fn: () => Promise<void>) => it.skipIf(skip)(name, fn, 60_000);

  test('declares what it is: capabilities, watched paths, a run it cannot make is a StackError or an exit code', async () => {
    const service = await h.service('declared', 'm0');
    expect(typeof h.provider.capabilities.grouped).toBe('boolean');
    expect(typeof h.provider.capabilities.cheapObserve).toBe('boolean');
    const watched = h.provider.watchedPaths(service);
    expect(Array.isArray(watched.files) && Array.isArray(watched.trees)).toBe(true);
    const ran = await h.provider.run(service, ['no-such-script'], h.ctx).catch((error: unknown) => error);
    expect(typeof ran === 'number' || ran instanceof StackError).toBe(true);
  });

  test('start runs it, observe says running, logs show what it printed, stop stops it; twice is no error', async () => {
    const service = await h.service('life', 'hello-contract');
    const started = await h.provider.start(service, h.ctx);
    const record = h.record(service, started);
    await waitFor(async () => (await phaseOf(h, service, record)) === 'running', 20_000, 'it to run');
    await waitFor(async () => said(await tailOf(h, service, record), 'hello-contract'), 20_000, 'its first line in its logs');
    // No line of the service's (compose v1 still says what it attaches to).
    const none = await tailOf(h, service, record, 0);
    expect(said(none, 'hello-contract') || said(none, 'tick')).toBe(false);
    if (h.provider.capabilities.grouped) expect(h.provider.describeRun(record)).toBe(`pid ${started.pid}`);

    await h.provider.stop(service.name, record, service.stop, h.ctx);
    const stopped = { ...record, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true };
    await waitFor(async () => !['running', 'starting'].includes(await phaseOf(h, service, stopped)), 20_000, 'it to stop');
    // Stop twice, and stop of what no longer runs: nothing to do, no error.
    await h.provider.stop(service.name, record, service.stop, h.ctx);
    await h.provider.stop(service.name, stopped, service.stop, h.ctx);
    // Logs outlive the run.
    if (h.logsOutliveStop !== false) expect(said(await tailOf(h, service, stopped), 'hello-contract')).toBe(true);
  });

  test('restart (native or stop then start) leaves one run going; uninstall leaves nothing running', async () => {
    const service = await h.service('again', 'first-run');
    const first = await h.provider.start(service, h.ctx);
    let record = h.record(service, first);
    await waitFor(async () => (await phaseOf(h, service, record)) === 'running', 20_000, 'the first run');
    let second: StartedService;
    if (h.provider.restart) second = await h.provider.restart(service, record, h.ctx);
    else {
      await h.provider.stop(service.name, record, service.stop, h.ctx);
      second = await h.provider.start(service, h.ctx);
    }
    record = h.record(service, second);
    await waitFor(async () => (await phaseOf(h, service, record)) === 'running', 20_000, 'the second run');
    if (h.provider.capabilities.grouped) expect(second.pid).not.toBe(first.pid);
    await h.provider.stop(service.name, record, service.stop, h.ctx);
    await h.provider.uninstall?.(service.name, { ...record, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true }, h.ctx);
    // Uninstall of what is already gone: no error.
    await h.provider.uninstall?.(service.name, { ...record, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true }, h.ctx);
    expect(['running', 'starting']).not.toContain(await phaseOf(h, service, { ...record, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true }));
  });

  test('logs follow new lines until aborted, having said when it caught up', async () => {
    const service = await h.service('follow', 'follow-me');
    const started = await h.provider.start(service, h.ctx);
    const record = h.record(service, started);
    const abort = new AbortController();
    const seen: string[] = [];
    let caughtUp = false;
    const following = h.provider.logs(service.name, service, record, { lines: 0, since: new Date(), follow: true, pollMs: 20, signal: abort.signal, write: (more) => seen.push(...more.filter((line) => line.stream !== 'stack').map((line) => line.text)), caughtUp: () => (caughtUp = true) }, h.ctx);
    await waitFor(() => caughtUp, 20_000, 'the follow to catch up');
    await waitFor(() => seen.includes('tick'), 20_000, 'a new line to be followed');
    abort.abort();
    await expect(following).resolves.toBeUndefined();
    await h.provider.stop(service.name, record, service.stop, h.ctx);
  });

  test('a start of what already runs leaves it running; stopping each record it gave leaves nothing running', async () => {
    const service = await h.service('twice', 'twice');
    const first = await h.provider.start(service, h.ctx);
    const second = await h.provider.start(service, h.ctx);
    const records = [h.record(service, first), h.record(service, second)];
    await waitFor(async () => (await phaseOf(h, service, records[1])) === 'running', 20_000, 'it to run');
    for (const record of records) await h.provider.stop(service.name, record, service.stop, h.ctx);
    const none = { ...records[1], pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true } as AppliedService;
    await waitFor(async () => !['running', 'starting'].includes(await phaseOf(h, service, none)), 20_000, 'it to stop');
  });

  test('a start that fails carries its facts: an OperationError with the exit code and the last lines', async () => {
    const service = await h.failing('broken');
    const error = await (async () => {
      const started = await h.provider.start(service, h.ctx);
      if (h.provider.awaitsReady?.(service) !== false) await h.provider.waitReady?.(service, started, h.ctx);
    })().then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationError);
    const facts = error as OperationError;
    expect(facts.service).toBe('broken');
    expect(typeof facts.exitCode).toBe('number');
    expect(facts.exitCode).not.toBe(0);
    expect(facts.logTail?.length).toBeGreaterThan(0);
    if (h.quotesOwnOutput) {
      expect(facts.exitCode).toBe(3);
      expect(facts.logTail).toContain('boom');
    }
  });
});
