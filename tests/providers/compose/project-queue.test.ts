// Stack services of one compose project: their `up`s one at a time, those that come together as
// one command (project-queue.ts); checked through the provider with a fake `run`, no docker.
import { describe, expect, it, vi } from 'vitest';
import { createComposeProvider } from '../../../src/providers/compose/compose-provider.js';
import type { Run } from '../../../src/providers/compose/cli.js';
import type { CommandResult } from '../../../src/os/runner.js';
import type { DesiredService } from '../../../src/model/desired.js';
import type { ComposeSpec } from '../../../src/providers/compose/spec.js';
import { desiredService } from '../../support/desired-service.js';
import { ExitCode } from '../../../src/model/errors.js';
import { deferred, type Deferred } from '../../support/fake-provider.js';

const ctx = { signal: new AbortController().signal, root: '/tmp', stateDir: '/tmp/.stack', redact: (text: string) => text };

/** A fake `run`: v2 answers; an argv containing a key of `answers` gets that answer, after `gates[key]` when there is one. */
function fakeRun(answers: Record<string, Partial<CommandResult>> = {}, gates: Record<string, Deferred> = {}) {
  const calls: string[] = [];
  const ended: string[] = [];
  const run: Run = async (argv) => {
    const line = argv.join(' ');
    calls.push(line);
    const key = Object.keys({ ...answers, ...gates }).find((part) => line.includes(part));
    if (key !== undefined && gates[key]) await gates[key].promise;
    ended.push(line);
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...(key === undefined ? {} : answers[key]) };
  };
  const commands = () => calls.filter((line) => !line.startsWith('docker version') && !line.startsWith('docker compose version'));
  return { run, calls, ended, commands };
}

function composeService(name: string, compose: Partial<ComposeSpec>): DesiredService {
  return desiredService({
    name, index: 0, provider: 'compose', enabled: true, state: 'running', dependsOn: [], ports: [], sensitive: [],
    start: { settleMs: 100 }, stop: { signal: 'SIGTERM', timeoutMs: 3000 }, logs: { maxSizeBytes: 1, maxFiles: 1 },
    restart: { policy: 'no', maxRestarts: 0, backoff: { initialMs: 1, maxMs: 1, resetMs: 1 } },
    compose: { file: '/srv/compose.yaml', project: 'shop', services: [], profiles: [], scale: {}, wait: false, env: {}, ...compose },
  });
}

const UP = 'docker compose -p shop -f /srv/compose.yaml up -d --remove-orphans';

describe('compose services of one project', () => {
  it('starts that come together are one `up -d` with all their services (sorted); another project has its own', async () => {
    const { run, commands } = fakeRun();
    const provider = createComposeProvider({ run });
    const services = [composeService('web', { services: ['web'] }), composeService('api', { services: ['api'] }), composeService('db', { project: 'data', services: ['db'] })];
    await Promise.all(services.map((service) => provider.start(service, ctx)));
    expect(commands()).toEqual([`${UP} api web`, 'docker compose -p data -f /srv/compose.yaml up -d --remove-orphans db']);
    // The engine hands them over together: one group per project, none where a start waits for health.
    expect(services.map((service) => provider.startGroup?.(service))).toEqual(['shop', 'shop', 'data']);
    expect(provider.startGroup?.(composeService('web', { wait: true }))).toBeUndefined();
  });

  it('one selecting every service of the file makes it an `up -d` of them all', async () => {
    const { run, commands } = fakeRun();
    const provider = createComposeProvider({ run });
    await Promise.all([provider.start(composeService('web', { services: ['web'] }), ctx), provider.start(composeService('all', {}), ctx)]);
    expect(commands()).toEqual([UP]);
  });

  it("runs one project's `up`s one at a time (two at once would make two networks of one name): with wait, each its own", async () => {
    const first = deferred();
    const { run, calls, commands } = fakeRun({}, { ' web': first });
    const provider = createComposeProvider({ run });
    const web = provider.start(composeService('web', { services: ['web'], wait: true }), ctx);
    const api = provider.start(composeService('api', { services: ['api'], wait: true }), ctx);
    await vi.waitFor(() => expect(commands()).toHaveLength(1));
    // Held: the second waits for the first to end.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.some((line) => line.endsWith(' api'))).toBe(false);
    first.resolve();
    await Promise.all([web, api]);
    expect(commands()).toEqual(['docker compose -p shop -f /srv/compose.yaml up -d --wait --remove-orphans web', 'docker compose -p shop -f /srv/compose.yaml up -d --wait --remove-orphans api']);
  });

  it('a shared `up` that fails is run again for each service alone: each failure is its own, the others start', async () => {
    const { run, commands } = fakeRun({ 'api web': { exitCode: 1, stderr: 'no such image: web\n' }, 'orphans web': { exitCode: 1, stderr: 'no such image: web\n' } });
    const provider = createComposeProvider({ run });
    const [web, api] = await Promise.allSettled([provider.start(composeService('web', { services: ['web'] }), ctx), provider.start(composeService('api', { services: ['api'] }), ctx)]);
    expect(commands()).toEqual([`${UP} api web`, `${UP} web`, `${UP} api`]);
    expect(web.status).toBe('rejected');
    expect(String((web as PromiseRejectedResult).reason)).toMatch(/web: `docker compose -p shop .* up -d --remove-orphans web` failed \(exit 1\)\n {2}no such image: web/);
    expect(api.status).toBe('fulfilled');
  });

  it('an uninstall (down) waits for an `up` of its project in flight', async () => {
    const up = deferred();
    const { run, commands } = fakeRun({}, { ' up ': up });
    const provider = createComposeProvider({ run });
    const started = provider.start(composeService('web', { services: ['web'] }), ctx);
    await vi.waitFor(() => expect(commands()).toHaveLength(1));
    // api left stack.yaml; its record names the project. Its file is gone, so it is removed by label.
    const fields = { 'compose.file': '/gone/compose.yaml', 'compose.project': 'shop', 'compose.services': '["api"]', 'compose.profiles': '[]' };
    const removed = provider.uninstall?.('api', { provider: 'compose', specHash: 'h', installHash: 'i', restarts: 0, fields }, ctx);
    await new Promise((resolve) => setImmediate(resolve));
    expect(commands()).toHaveLength(1);
    up.resolve();
    await Promise.all([started, removed]);
    expect(commands()).toEqual([`${UP} web`, 'docker ps -aq --filter label=com.docker.compose.project=shop', 'docker network ls -q --filter label=com.docker.compose.project=shop']);
  });

  it('a `docker ps` that answered is the engine\'s answer: no `docker version` after it (unless the service names its own DOCKER_HOST)', async () => {
    const { run, calls } = fakeRun();
    const provider = createComposeProvider({ run });
    const web = composeService('web', { services: ['web'] });
    await provider.observe('web', web, undefined, ctx);
    await provider.start(web, ctx);
    expect(calls).toEqual(['docker ps -a --no-trunc --filter label=com.docker.compose.project=shop --format {{json .}}', 'docker compose version --short', `${UP} web`]);

    const elsewhere = fakeRun();
    const other = createComposeProvider({ run: elsewhere.run });
    await other.observe('web', composeService('web', { env: { DOCKER_HOST: 'tcp://builder:2375' } }), undefined, ctx);
    expect(elsewhere.calls).toContain('docker version --format {{.Server.Version}}');
  });

  it('a `docker ps` that failed asks the engine why: exit 6 naming it when it does not answer', async () => {
    const { run } = fakeRun({ 'docker ps': { exitCode: 1, stderr: 'Cannot connect to the Docker daemon' }, 'docker version': { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' } });
    const provider = createComposeProvider({ run });
    await expect(provider.observe('web', composeService('web', {}), undefined, ctx)).rejects.toMatchObject({ code: ExitCode.providerUnavailable, message: expect.stringContaining('is unreachable: Cannot connect') });
  });

  it('services of one project observed at once share one `docker ps`', async () => {
    const { run, commands } = fakeRun();
    const provider = createComposeProvider({ run });
    const services = ['web', 'api', 'db'].map((name) => composeService(name, { services: [name] }));
    await Promise.all(services.map((service) => provider.observe(service.name, service, undefined, ctx)));
    expect(commands()).toEqual(['docker ps -a --no-trunc --filter label=com.docker.compose.project=shop --format {{json .}}']);
  });
});
