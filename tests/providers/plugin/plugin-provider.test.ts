import { readFile } from 'node:fs/promises';
import { parseLogLine } from '../../../src/model/log-line.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPluginProvider } from '../../../src/providers/plugin/plugin-provider.js';
import { OperationError } from '../../../src/model/provider.js';
import { isAlive, makeContext, makeTempDir, removeDir, waitFor } from '../helpers.js';
import { appliedFor, pluginService, readJournal, writePlugin } from './fixture.js';

let root: string;
let lines: string[];
const pids: number[] = [];
const provider = () => createPluginProvider({ output: (service, line) => lines.push(`${service} | ${line}`) });
const journal = (what: string) => `echo "${what}" >> ${'$'}JOURNAL`;

beforeEach(async () => {
  root = await makeTempDir();
  lines = [];
});
afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await removeDir(root);
});

function basic(extra: string[] = [], lifecycle: string[] = []): string[] {
  return ['name: demo', 'lifecycle:', `  start: ${journal('start $PWD $GREETING $WHO')}; echo started`, `  stop: ${journal('stop')}`, ...lifecycle, `env: { JOURNAL: ${root}/journal, GREETING: plugin, WHO: plugin }`, ...extra];
}

describe('plugin provider lifecycle', () => {
  it('runs start with sh in the plugin folder, plugin env overridden by the service env, output streamed and logged', async () => {
    const dir = await writePlugin(root, 'demo', basic());
    const service = pluginService('demo', dir, { plugin: { dir, env: { WHO: 'service' } } });
    const started = await provider().start(service, makeContext(root));
    expect(await readJournal(root)).toEqual([`start ${dir} plugin service`]);
    expect(lines).toEqual(['demo | started']);
    expect(started.startedAt).toMatch(/^\d{4}-/);
    expect(parseLogLine((await readFile(join(root, '.stack', 'logs', 'demo.log'), 'utf8')).trimEnd())).toEqual({ text: 'started', stream: 'stdout', at: expect.stringMatching(/^\d{4}-.*Z$/) });
  });

  it('treats a missing install command as a no-op and runs one that exists', async () => {
    const bare = await writePlugin(root, 'bare', basic());
    await provider().install(pluginService('bare', bare), makeContext(root));
    expect(await readJournal(root)).toEqual([]);
    const full = await writePlugin(root, 'full', basic([], [`  install: ${journal('install $STACK_SERVICE')}`]));
    await provider().install(pluginService('full', full), makeContext(root));
    expect(await readJournal(root)).toEqual(['install full']);
  });

  it('fails with the exit code and the last lines of output', async () => {
    const dir = await writePlugin(root, 'demo', ['name: demo', 'lifecycle:', '  start: echo "port in use"; exit 4', '  stop: "true"']);
    const error = await provider().start(pluginService('demo', dir), makeContext(root)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).exitCode).toBe(4);
    expect((error as Error).message).toContain('start (echo "port in use"; exit 4) exited with code 4');
    expect((error as OperationError).logTail).toEqual(['port in use']);
  });

  it('kills the whole process group of a command that times out', async () => {
    const dir = await writePlugin(root, 'slow', ['name: slow', 'lifecycle:', '  start: sleep 30 & echo $! > bg.pid; wait', '  stop: "true"', '  timeout: { start: 300ms }']);
    const error = await provider().start(pluginService('slow', dir), makeContext(root)).catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/start .* timed out after 300ms \(its process group was killed\)/);
    const background = Number(await readFile(join(dir, 'bg.pid'), 'utf8'));
    pids.push(background);
    await waitFor(async () => !(await isAlive(background)), 5000, 'the background sleep to be killed');
  });

  it('leaves a daemon that start put in the background running', async () => {
    const dir = await writePlugin(root, 'daemon', ['name: daemon', 'lifecycle:', '  start: sleep 30 > /dev/null 2>&1 & echo $! > daemon.pid', '  stop: kill $(cat daemon.pid)']);
    const plugin = provider();
    await plugin.start(pluginService('daemon', dir), makeContext(root));
    const daemon = Number(await readFile(join(dir, 'daemon.pid'), 'utf8'));
    pids.push(daemon);
    expect(await isAlive(daemon)).toBe(true);
    await plugin.stop('daemon', appliedFor(dir), { signal: 'SIGTERM', timeoutMs: 1000 }, makeContext(root));
    await waitFor(async () => !(await isAlive(daemon)), 5000, 'the daemon to stop');
  });

  it('fails a plain stop that fails, but only warns when the service is being removed', async () => {
    const dir = await writePlugin(root, 'demo', ['name: demo', 'lifecycle:', '  start: "true"', '  stop: echo cannot stop; exit 1', `  uninstall: ${journal('uninstall')}`, `env: { JOURNAL: ${root}/journal }`]);
    const plugin = provider();
    const applied = appliedFor(dir, { startedAt: new Date().toISOString(), stoppedByUs: false });
    const stopSpec = { signal: 'SIGTERM' as const, timeoutMs: 1000 };
    await expect(plugin.stop('demo', applied, stopSpec, makeContext(root))).rejects.toThrow(/stop \(echo cannot stop; exit 1\) exited with code 1/);

    await plugin.observe('demo', pluginService('demo', dir, { enabled: false }), applied, makeContext(root));
    await expect(plugin.stop('demo', applied, stopSpec, makeContext(root))).resolves.toBeUndefined();
    expect(lines.at(-1)).toMatch(/^demo \| warning: demo: stop .* exited with code 1; removing it anyway$/);
    await plugin.uninstall('demo', applied, makeContext(root));
    expect(await readJournal(root)).toEqual(['uninstall']);
  });

  it('uses the restart command when there is one, else stop then start', async () => {
    const withRestart = await writePlugin(root, 'a', basic([], [`  restart: ${journal('restart')}`]));
    const plain = await writePlugin(root, 'b', basic());
    const plugin = provider();
    await plugin.restart(pluginService('a', withRestart), appliedFor(withRestart), makeContext(root));
    await plugin.restart(pluginService('b', plain), appliedFor(plain), makeContext(root));
    expect(await readJournal(root)).toEqual(['restart', 'stop', `start ${plain} plugin plugin`]);
  });

  it('prints each command once under --verbose', async () => {
    const dir = await writePlugin(root, 'demo', basic());
    const printed: string[] = [];
    await provider().start(pluginService('demo', dir), makeContext(root, (line) => printed.push(line)));
    expect(printed).toEqual(['# their output is framed by stack-log-relay (native)', `sh -c '${journal('start $PWD $GREETING $WHO')}; echo started'`]);
  });
});

describe('plugin provider observe', () => {
  it('calls a plugin stack never installed absent, without asking it', async () => {
    const dir = await writePlugin(root, 'demo', basic([], [`  status: ${journal('status')}`]));
    expect(await provider().observe('demo', pluginService('demo', dir), undefined, makeContext(root))).toEqual({ name: 'demo', phase: 'absent' });
    expect(await readJournal(root)).toEqual([]);
  });

  it('reads the status command: LSB exit 3 is stopped, its words win over its exit code', async () => {
    const stopped = await writePlugin(root, 'lsb', basic([], ['  status: exit 3']));
    const worded = await writePlugin(root, 'worded', basic([], ['  status: echo "running (pid 4)"; exit 1']));
    const broken = await writePlugin(root, 'broken', basic([], ['  status: echo "no idea" >&2; exit 2']));
    const ctx = makeContext(root);
    expect((await provider().observe('lsb', pluginService('lsb', stopped), appliedFor(stopped), ctx)).phase).toBe('stopped');
    expect((await provider().observe('worded', pluginService('worded', worded), appliedFor(worded), ctx)).phase).toBe('running');
    expect(await provider().observe('broken', pluginService('broken', broken), appliedFor(broken), ctx)).toMatchObject({ phase: 'unknown', detail: 'status exited with code 2: no idea' });
  });

  it('without a status command, assumes the state stack recorded', async () => {
    const dir = await writePlugin(root, 'demo', basic());
    const ctx = makeContext(root);
    const running = await provider().observe('demo', pluginService('demo', dir), appliedFor(dir, { startedAt: '2026-01-01T00:00:00.000Z', stoppedByUs: false }), ctx);
    expect(running).toMatchObject({ phase: 'running', detail: 'running (assumed): no status command' });
    const stopped = await provider().observe('demo', pluginService('demo', dir), appliedFor(dir, { stoppedByUs: true }), ctx);
    expect(stopped).toMatchObject({ phase: 'stopped', detail: 'stopped (assumed): no status command' });
  });

  it('finds a removed service through the folder the state file recorded', async () => {
    const dir = await writePlugin(root, 'demo', basic([], ['  status: echo stopped']));
    expect((await provider().observe('demo', undefined, appliedFor(dir), makeContext(root))).phase).toBe('stopped');
  });
});
