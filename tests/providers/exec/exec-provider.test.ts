import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStackText } from '../../../src/config/load.js';
import type { DesiredService } from '../../../src/model/desired.js';
import type { AppliedService } from '../../../src/model/observed.js';
import { OperationError } from '../../../src/model/provider.js';
import { specOf } from '../../../src/reconcile/spec.js';
import { createExecProvider } from '../../../src/providers/exec/exec-provider.js';
import { PROVIDERS } from '../../../src/providers/registry.js';
import { makeContext, makeTempDir } from '../helpers.js';

const roots: string[] = [];
afterEach(async () => {
  // A test that failed half-way may leave its sleeper: stop it by the pid file it wrote.
  for (const root of roots.splice(0)) {
    const pid = Number(await readFile(path.join(root, 'app.pid'), 'utf8').catch(() => ''));
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

/** An exec service whose start leaves a sleeper behind and writes its pid; status checks that pid. */
async function setup(): Promise<{ root: string; service: DesiredService; applied: AppliedService }> {
  const root = await makeTempDir();
  roots.push(root);
  const text = [
    'version: 1',
    'services:',
    '  app:',
    '    exec:',
    '      shell: true',
    '      start: "sleep 300 > /dev/null 2>&1 & echo $$! > app.pid; echo started"',
    '      stop: "kill $$(cat app.pid) && rm app.pid"',
    '      status: "test -f app.pid && kill -0 $$(cat app.pid)"',
    '',
  ].join('\n');
  const loaded = loadStackText(text, path.join(root, 'stack.yaml'), new Map(), { providers: PROVIDERS });
  expect(loaded.issues).toEqual([]);
  const service = loaded.desired?.services[0] as DesiredService;
  const spec = specOf(service);
  const applied: AppliedService = { provider: 'exec', specHash: spec.specHash, installHash: spec.installHash, fields: spec.fields, restarts: 0, startedAt: new Date().toISOString() };
  return { root, service, applied };
}

describe('exec provider on real processes', () => {
  it('starts with start, judges the phase by status and stops with stop', async () => {
    const { root, service, applied } = await setup();
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
    await provider.stop('app', applied, service.stop, ctx);
    expect((await provider.observe('app', undefined, applied, ctx)).phase).toBe('stopped');
    await provider.uninstall?.('app', applied, ctx);
  });

  it('reports a failing start with its exit code and output', async () => {
    const { root, service } = await setup();
    if (service.provider !== 'exec') throw new Error('an exec service');
    const failing: DesiredService = { ...service, exec: { ...service.exec, start: ['/bin/sh', '-c', 'echo no luck; exit 3'] } };
    const error = await createExecProvider().start(failing, makeContext(root)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OperationError);
    expect(error).toMatchObject({ message: 'app: start exited with code 3: no luck', exitCode: 3, logTail: ['no luck'] });
  });
});
