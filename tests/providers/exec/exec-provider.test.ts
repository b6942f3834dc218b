// The exec provider on real processes: what the contract suite does not ask (contract.test.ts
// holds it to the shared semantics), as an unlucky or hostile stack.yaml would try it.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStackText } from '../../../src/config/load.js';
import type { DesiredService } from '../../../src/model/desired.js';
import type { AppliedService } from '../../../src/model/observed.js';
import { OperationError, type OperationContext } from '../../../src/model/provider.js';
import { createRedactor } from '../../../src/config/sensitive.js';
import { specOf } from '../../../src/reconcile/spec.js';
import { createExecProvider } from '../../../src/providers/exec/exec-provider.js';
import { PROVIDERS } from '../../../src/providers/registry.js';
import { makeContext, makeTempDir, removeDir, waitFor } from '../helpers.js';
import { isAlive } from '../../support/stack-cli.js';
import { daemonCommands, execService, sh } from './fixture.js';

const roots: string[] = [];
afterEach(async () => {
  // A test that failed half-way may leave its sleeper: stop it by the pid file it wrote.
  for (const root of roots.splice(0)) {
    for (const file of (await readdir(root)).filter((name) => name.endsWith('.pid'))) {
      const pid = Number(await readFile(path.join(root, file), 'utf8').catch(() => ''));
      try {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeDir(root);
  }
});

async function tempRoot(): Promise<string> {
  const root = await makeTempDir();
  roots.push(root);
  return root;
}

const recordOf = (service: DesiredService): AppliedService => {
  const spec = specOf(service);
  return { provider: 'exec', specHash: spec.specHash, installHash: spec.installHash, fields: spec.fields, restarts: 0, startedAt: new Date().toISOString() };
};

const failureOf = (promise: Promise<unknown>): Promise<OperationError> =>
  promise.then(
    () => {
      throw new Error('expected it to fail');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(OperationError);
      return error as OperationError;
    },
  );

/** A stack.yaml's only service, loaded as `stack` loads it (with positions). */
function loadOne(root: string, lines: string[]): DesiredService {
  const loaded = loadStackText(['version: 1', 'services:', ...lines, ''].join('\n'), path.join(root, 'stack.yaml'), new Map(), { providers: PROVIDERS });
  expect(loaded.issues).toEqual([]);
  return loaded.desired?.services[0] as DesiredService;
}

describe('exec provider on real processes', () => {
  it('starts with start, judges the phase by status and stops with stop, also once the service left stack.yaml', async () => {
    const root = await tempRoot();
    const service = loadOne(root, [
      '  app:',
      '    exec:',
      '      shell: true',
      '      start: "sleep 300 > /dev/null 2>&1 & echo $$! > app.pid; echo started"',
      '      stop: "kill $$(cat app.pid) && rm app.pid"',
      '      status: "test -f app.pid && kill -0 $$(cat app.pid)"',
    ]);
    const applied = recordOf(service);
    const provider = createExecProvider();
    const ctx = makeContext(root);
    expect((await provider.observe('app', service, undefined, ctx)).phase).toBe('absent');
    expect((await provider.observe('app', service, applied, ctx)).phase).toBe('stopped');
    await provider.start(service, ctx);
    const pid = Number(await readFile(path.join(root, 'app.pid'), 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect((await provider.observe('app', service, applied, ctx)).phase).toBe('running');
    expect(await readFile(path.join(root, '.stack', 'logs', 'app.log'), 'utf8')).toContain('started');
    // Left stack.yaml: the commands recorded in the state file stop it.
    expect((await provider.observe('app', undefined, applied, ctx)).phase).toBe('running');
    await provider.stop('app', applied, service.stop, ctx);
    expect((await provider.observe('app', undefined, applied, ctx)).phase).toBe('stopped');
  });

  it('reports a failing start with its exit code and output', async () => {
    const root = await tempRoot();
    const failing = execService(root, 'app', { ...daemonCommands(path.join(root, 'app.pid')), start: sh('echo no luck; exit 3') });
    const error = await failureOf(createExecProvider().start(failing, makeContext(root)));
    expect(error).toMatchObject({ message: 'app: start exited with code 3: no luck', exitCode: 3, logTail: ['no luck'] });
  });

  it('hands every argument to the program as written: no shell reads an argv without shell: true', async () => {
    const root = await tempRoot();
    const args = ['$(touch pwned1)', '`touch pwned2`', 'a;touch pwned3', "it's", '', '*', '~', '$HOME', '\\', '!x', `'"'`, '#c', 'new\nline', '-e'];
    const out = path.join(root, 'args.json');
    const service = execService(root, 'app', {
      start: [process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))', out, ...args],
      stop: ['rm', out],
      status: ['test', '-f', out],
    });
    await createExecProvider().start(service, makeContext(root));
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(args);
    expect((await readdir(root)).filter((name) => name.startsWith('pwned'))).toEqual([]);
  });

  it('bounds a status that hangs: unknown, with the reason, and its process group killed', async () => {
    const root = await tempRoot();
    const pidFile = path.join(root, 'status.pid');
    const service = execService(root, 'app', { start: ['true'], stop: ['true'], status: sh('echo $$ > "$1"; exec sleep 300', pidFile) });
    const started = Date.now();
    const observed = await createExecProvider({ statusTimeoutMs: 300 }).observe('app', service, recordOf(service), makeContext(root));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(observed).toMatchObject({ phase: 'unknown', detail: 'status timed out after 300ms (its process group was killed)' });
    const pid = Number(await readFile(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('says unknown, not stopped, when status cannot run: its program missing, or a shell that did not find it', async () => {
    const root = await tempRoot();
    const missing = loadOne(root, ['  app:', '    exec:', '      start: ["true"]', '      stop: ["true"]', '      status: [no-such-status-program]']);
    const provider = createExecProvider();
    const ctx = makeContext(root);
    expect(await provider.observe('app', missing, recordOf(missing), ctx)).toMatchObject({ phase: 'unknown', detail: 'stack.yaml:7:7: status: executable "no-such-status-program" not found on PATH' });
    const shell = execService(root, 'app', { start: ['true'], stop: ['true'], status: sh('no-such-status-program') });
    expect(await provider.observe('app', shell, recordOf(shell), ctx)).toMatchObject({ phase: 'unknown', detail: expect.stringMatching(/^status exited with code 127: .*no-such-status-program.*not found/) });
  });

  it('fails a start whose program is missing before anything runs, saying where it is written', async () => {
    const root = await tempRoot();
    const service = loadOne(root, ['  app:', '    exec:', '      start: [no-such-program, --flag]', '      stop: ["true"]', '      status: ["false"]']);
    const error = await failureOf(createExecProvider().start(service, makeContext(root)));
    expect(error.message).toBe('app: stack.yaml:5:7: start: executable "no-such-program" not found on PATH');
    expect(existsSync(path.join(root, '.stack', 'logs', 'app.log'))).toBe(false);
  });

  it('quotes a start that printed a flood by its last lines, each cut short, read from the end of its log', async () => {
    const root = await tempRoot();
    const flood = sh('head -c 5000000 /dev/zero | tr "\\0" x; echo; head -c 300000 /dev/zero | tr "\\0" y; exit 2');
    const service = execService(root, 'app', { start: flood, stop: ['true'], status: ['false'] });
    const error = await failureOf(createExecProvider().start(service, makeContext(root)));
    expect(error.exitCode).toBe(2);
    expect(error.logTail).toEqual([`${'y'.repeat(999)}…`]);
    expect(error.message).toBe(`app: start exited with code 2: ${'y'.repeat(199)}…`);
  });

  it('fails a start that stays in the foreground, saying what start must do, and kills it', async () => {
    const root = await tempRoot();
    const pidFile = path.join(root, 'app.pid');
    const service = execService(root, 'app', { start: sh('echo $$ > "$1"; echo serving; exec sleep 300', pidFile), stop: ['true'], status: ['false'] });
    const error = await failureOf(createExecProvider({ startTimeoutMs: 500 }).start(service, makeContext(root)));
    expect(error.message).toBe('app: start did not exit within 500ms (its process group was killed); start must exit once the service runs in the background, and a program that stays in the foreground is a process service (command:): serving');
    expect(error).toMatchObject({ timedOut: true, exitCode: null, logTail: ['serving'] });
    const pid = Number(await readFile(pidFile, 'utf8'));
    await waitFor(() => !isAlive(pid), 5000, 'the foreground start to be killed');
  });

  it('fails a start that exits 0 when status never says running', async () => {
    const root = await tempRoot();
    const service = execService(root, 'app', { start: sh('echo forked, then died'), stop: ['true'], status: sh('echo no answer >&2; exit 1') });
    const error = await failureOf(createExecProvider({ runningWithinMs: 300 }).start(service, makeContext(root)));
    expect(error.message).toBe('app: start exited 0, but status did not say running within 300ms (it says stopped): forked, then died');
    expect(error.logTail).toEqual(['forked, then died']);
  });

  it('a stop that fails is an error, and so is one that exits 0 while status still says running', async () => {
    const root = await tempRoot();
    const pidFile = path.join(root, 'app.pid');
    const provider = createExecProvider();
    const ctx = makeContext(root);
    const refusing = execService(root, 'app', { ...daemonCommands(pidFile), stop: sh('echo cannot stop; exit 1') });
    await provider.start(refusing, ctx);
    await provider.observe('app', refusing, recordOf(refusing), ctx);
    const failed = await failureOf(provider.stop('app', recordOf(refusing), { signal: 'SIGTERM', timeoutMs: 2000 }, ctx));
    expect(failed).toMatchObject({ message: 'app: stop exited with code 1: cannot stop', exitCode: 1, logTail: ['cannot stop'] });
    expect((await provider.observe('app', refusing, recordOf(refusing), ctx)).phase).toBe('running');

    const pretending = execService(root, 'app', { ...daemonCommands(pidFile), stop: ['true'] });
    await provider.observe('app', pretending, recordOf(pretending), ctx);
    const stuck = await failureOf(provider.stop('app', recordOf(pretending), { signal: 'SIGTERM', timeoutMs: 300 }, ctx));
    expect(stuck.message).toBe('app: stop exited 0, but status still says running after 300ms');
  });

  it('keeps secrets out of logs and of a failed start\'s facts; stop runs with the declared secret', async () => {
    const root = await tempRoot();
    const secret = 'hunter2-very-secret';
    const service = execService(root, 'app', { start: sh('echo "token $TOKEN"; exit 4'), stop: sh('echo "stop $TOKEN" > stopped; rm running'), status: ['test', '-f', 'running'], env: { TOKEN: secret } }, ['TOKEN']);
    const ctx: OperationContext = { ...makeContext(root), redact: createRedactor([secret]) };
    const provider = createExecProvider();
    const error = await failureOf(provider.start(service, ctx));
    expect(JSON.stringify({ message: error.message, logTail: error.logTail })).not.toContain(secret);
    expect(error.logTail).toEqual(['token (sensitive)']);
    const shown: string[] = [];
    await provider.logs('app', service, undefined, { lines: 10, follow: false, signal: new AbortController().signal, write: (lines) => shown.push(...lines.filter((line) => line.stream !== 'stack').map((line) => line.text)) }, ctx);
    expect(shown).toEqual(['token (sensitive)']);
    // The state file keeps a digest of TOKEN; stop takes its value from stack.yaml, as observed.
    const record = recordOf(service);
    expect(JSON.stringify(record)).not.toContain(secret);
    await writeFile(path.join(root, 'running'), '');
    await provider.observe('app', service, record, ctx);
    await provider.stop('app', record, { signal: 'SIGTERM', timeoutMs: 2000 }, ctx);
    expect(await readFile(path.join(root, 'stopped'), 'utf8')).toBe(`stop ${secret}\n`);
  });
});
