// The compose provider against a real docker engine (scripts/docker-test-env.sh starts one).
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import type { DesiredService } from '../../../src/model/desired.js';
import type { ComposeSpec } from '../../../src/providers/compose/spec.js';
import { createComposeProvider } from '../../../src/providers/compose/compose-provider.js';
import { composeLogs } from '../../../src/providers/compose/logs.js';
import type { OperationContext } from '../../../src/model/provider.js';
import type { AppliedService } from '../../../src/model/observed.js';
import { containersOf, docker, dockerIt, removeProject, requireDocker, TEST_IMAGE, uniqueProject, volumesOf } from '../../support/docker.js';
import { makeTempDir, waitFor } from '../helpers.js';
import { desiredService } from '../../support/desired-service.js';

requireDocker();

// PID 1 in a container ignores SIGTERM unless it traps it: the trap keeps stops fast.
const LOOP = 'trap "exit 0" TERM; while true; do sleep 0.2; done';

const created: { project: string; dir: string }[] = [];
afterEach(async () => {
  for (const { project, dir } of created.splice(0)) {
    removeProject(project);
    await rm(dir, { recursive: true, force: true });
  }
});

async function setup(compose: string, overrides: Partial<ComposeSpec> = {}) {
  const dir = await makeTempDir();
  const project = uniqueProject('stk-prov');
  created.push({ project, dir });
  const file = path.join(dir, 'compose.yaml');
  await writeFile(file, compose);
  const lines: string[] = [];
  const ctx: OperationContext = { signal: new AbortController().signal, root: dir, stateDir: path.join(dir, '.stack'), verbose: (line) => lines.push(line), redact: (text) => text };
  const service: DesiredService = desiredService({
    name: 'app', index: 0, provider: 'compose', enabled: true, state: 'running', dependsOn: [], ports: [], sensitive: [],
    start: { settleMs: 100 }, stop: { signal: 'SIGTERM', timeoutMs: 5000 }, logs: { maxSizeBytes: 1, maxFiles: 1 },
    restart: { policy: 'no', maxRestarts: 0, backoff: { initialMs: 1, maxMs: 1, resetMs: 1 } },
    compose: { file, project, services: [], profiles: [], scale: {}, wait: false, env: {}, ...overrides },
  });;
  const applied = (stoppedByUs: boolean): AppliedService => ({ provider: 'compose', specHash: 'h', installHash: 'i', restarts: 0, fields: {}, stoppedByUs });
  return { dir, file, project, ctx, service, applied, lines, provider: createComposeProvider({ pollMs: 100 }) };
}

describe('compose provider on a real engine', () => {
  dockerIt('signal: `kill -s` reaches the container, which handles it and keeps running', async () => {
    const trapping = 'trap "exit 0" TERM; trap "echo got HUP" HUP; while true; do sleep 0.2; done';
    const { provider, service, ctx, project, applied } = await setup(`services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(trapping)}]\n`);
    await provider.start(service, ctx);
    const [before] = containersOf(project);
    expect(await provider.signal!('app', applied(false), 'SIGHUP', ctx)).toEqual({ kind: 'sent', to: 'its containers' });
    await waitFor(() => docker(['logs', before!.id]).stdout.includes('got HUP'), 10_000, 'the container to say it got HUP');
    expect(containersOf(project)).toMatchObject([{ id: before!.id, state: 'running' }]);
  });

  dockerIt('installs, starts, stops (keeping containers) and uninstalls a project, observed through labels', async () => {
    const { provider, service, ctx, project, applied, lines } = await setup(`services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(LOOP)}]\n`);
    expect(await provider.observe('app', service, undefined, ctx)).toMatchObject({ phase: 'absent' });
    await provider.install?.(service, ctx);
    expect(containersOf(project).map((c) => c.state)).toEqual(['created']);
    expect(await provider.observe('app', service, applied(true), ctx)).toMatchObject({ phase: 'stopped' });

    await provider.start(service, ctx);
    const [running] = containersOf(project);
    expect(running).toMatchObject({ service: 'web', state: 'running' });
    expect(running?.labels).toContain(`com.docker.compose.project=${project}`);
    expect(await provider.observe('app', service, applied(false), ctx)).toMatchObject({ phase: 'running', health: 'none' });

    await provider.stop('app', applied(false), service.stop, ctx);
    expect(containersOf(project)).toEqual([expect.objectContaining({ id: running?.id, state: 'exited' })]);
    expect(await provider.observe('app', service, applied(true), ctx)).toMatchObject({ phase: 'stopped' });

    await provider.uninstall?.('app', applied(true), ctx);
    expect(containersOf(project)).toEqual([]);
    expect(await provider.observe('app', service, applied(true), ctx)).toMatchObject({ phase: 'absent' });
    // --verbose saw each docker command once, as run.
    expect(lines.filter((line) => line.includes(' up -d '))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('docker version'))).toHaveLength(1);
  });

  dockerIt('with wait: true, waitReady resolves only once the healthcheck passes', async () => {
    const { provider, service, ctx, project, dir } = await setup(
      `services:\n  db:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(LOOP)}]\n    volumes: ["./gate:/gate"]\n` +
        `    healthcheck: { test: ["CMD", "test", "-f", "/gate/ready"], interval: 1s, timeout: 1s, retries: 120 }\n`,
      { wait: true },
    );
    await rm(path.join(dir, 'gate'), { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, 'gate')));
    const started = await provider.start(service, ctx);
    let ready = false;
    const waiting = provider.waitReady?.(service, started, ctx).then(() => (ready = true));
    await waitFor(() => containersOf(project)[0]?.status.includes('health: starting'), 15_000, 'health: starting');
    expect(await provider.observe('app', service, undefined, ctx)).toMatchObject({ phase: 'starting', health: 'unready' });
    expect(ready).toBe(false);

    await writeFile(path.join(dir, 'gate', 'ready'), '');
    await waiting;
    expect(containersOf(project)[0]?.status).toContain('(healthy)');
    expect(await provider.observe('app', service, undefined, ctx)).toMatchObject({ phase: 'running', health: 'ready' });
  });

  dockerIt('observes a container that exited non-zero as crashed, and fails waitReady with its log', async () => {
    const { provider, service, ctx, project } = await setup(`services:\n  job:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "echo boom; exit 3"]\n`, { wait: true });
    const started = await provider.start(service, ctx);
    await waitFor(() => containersOf(project)[0]?.state === 'exited', 15_000, 'the container to exit');
    expect(await provider.observe('app', service, undefined, ctx)).toMatchObject({ phase: 'crashed', detail: 'job exited with code 3' });
    await expect(provider.waitReady?.(service, started, ctx)).rejects.toThrow(/job exited with code 3[\s\S]*\| .*boom/);
  });

  dockerIt('keeps named volumes on uninstall unless removeVolumes is set; down by label when the file is gone', async () => {
    const compose = `services:\n  db:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(LOOP)}]\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n`;
    const { provider, service, ctx, project, file, applied } = await setup(compose);
    await provider.start(service, ctx);
    await provider.uninstall?.('app', applied(false), ctx);
    expect(containersOf(project)).toEqual([]);
    expect(volumesOf(project)).toHaveLength(1);

    await provider.start(service, ctx);
    await rm(file);
    await provider.uninstall?.('app', applied(false), { ...ctx, removeVolumes: true });
    expect(containersOf(project)).toEqual([]);
    expect(volumesOf(project)).toEqual([]);
  });

  dockerIt('usage: the engine reads a busy container above 0 % CPU with its memory, and names its image and command; nothing once it stops', async () => {
    const busy = 'trap "exit 0" TERM; while true; do :; done';
    const { provider, service, ctx, applied } = await setup(`services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(busy)}]\n`);
    await provider.start(service, ctx);
    const usage = await provider.usage!('app', service, applied(false), ctx);
    expect(usage?.cpu).toBeGreaterThan(0);
    expect(usage?.memory).toBeGreaterThan(0);
    expect(usage?.command).toBe(`${TEST_IMAGE} sh -c ${busy}`);
    await provider.stop('app', applied(false), { signal: 'SIGTERM', timeoutMs: 5000 }, ctx);
    expect(await provider.usage!('app', service, applied(true), ctx)).toBeUndefined();
  });

  dockerIt('streams compose logs line by line', async () => {
    const { provider, service, ctx, project } = await setup(`services:\n  talk:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(`echo first; echo second; ${LOOP}`)}]\n`);
    await provider.start(service, ctx);
    const spec = service.compose as ComposeSpec;
    await waitFor(async () => {
      const lines: string[] = [];
      await composeLogs(new Map([['app', spec]]), { follow: false, lines: 10, signal: ctx.signal, write: (_name, line) => lines.push(line) });
      return lines.some((line) => line.endsWith('second'));
    }, 15_000, 'the log lines');
    const lines: string[] = [];
    await composeLogs(new Map([['app', spec]]), { follow: false, lines: 1, signal: ctx.signal, write: (name, line) => lines.push(`${name}:${line}`) });
    expect(lines.filter((line) => line.includes('|'))).toEqual([expect.stringMatching(/^app:.*talk.*\| second$/)]);
    expect(containersOf(project)).toHaveLength(1);
  });
});
