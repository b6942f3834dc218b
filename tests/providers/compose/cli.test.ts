import { describe, expect, it, vi } from 'vitest';
import { ExitCode, StackError } from '../../../src/model/errors.js';
import { checkEngine, detectComposeCli, type Run } from '../../../src/providers/compose/cli.js';
import { createComposeProvider } from '../../../src/providers/compose/compose-provider.js';
import type { CommandResult } from '../../../src/os/runner.js';
import type { DesiredService } from '../../../src/model/desired.js';
import { desiredService } from '../../support/desired-service.js';
import { deferred } from '../../support/fake-provider.js';

type Answer = Partial<CommandResult>;

/** A fake `run` answering by argv prefix; records every argv it was given. */
function fakeRun(answers: Record<string, Answer>) {
  const calls: string[] = [];
  const run: Run = async (argv) => {
    const line = argv.join(' ');
    calls.push(line);
    const key = Object.keys(answers).find((prefix) => line.startsWith(prefix));
    const answer = key === undefined ? { exitCode: 1, stderr: 'unexpected' } : answers[key];
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...answer };
  };
  return { run, calls };
}

const ctx = { signal: new AbortController().signal, root: '/tmp', stateDir: '/tmp/.stack', redact: (text: string) => text };

async function rejection(promise: Promise<unknown>): Promise<StackError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(StackError);
  return error as StackError;
}

describe('detectComposeCli', () => {
  it('prefers the v2 plugin', async () => {
    const { run, calls } = fakeRun({ 'docker compose version': { stdout: '2.29.1\n' } });
    expect(await detectComposeCli(run, {})).toEqual({ flavour: 'v2', base: ['docker', 'compose'], version: '2.29.1' });
    expect(calls).toEqual(['docker compose version --short']);
  });

  it('falls back to docker-compose v1', async () => {
    const { run, calls } = fakeRun({ 'docker compose': { exitCode: 1 }, 'docker-compose version': { stdout: '1.29.2' } });
    expect(await detectComposeCli(run, {})).toMatchObject({ flavour: 'v1', base: ['docker-compose'] });
    expect(calls).toEqual(['docker compose version --short', 'docker-compose version --short']);
  });

  it('with `locate`, finds v1 on PATH without running it (its Python start-up is most of an apply\'s wait); its version is unknown', async () => {
    const { run, calls } = fakeRun({ 'docker compose': { exitCode: 1 } });
    const asked: string[] = [];
    const locate = async (program: string) => (asked.push(program), '/usr/bin/docker-compose');
    expect(await detectComposeCli(run, {}, locate)).toEqual({ flavour: 'v1', base: ['docker-compose'] });
    expect(calls).toEqual(['docker compose version --short']);
    expect(asked).toEqual(['docker-compose']);
  });

  it('with `locatePlugin` too, finds v2 in the plugin folders and then v1 on PATH, running nothing; only when neither is found does it ask docker', async () => {
    const plugin = fakeRun({});
    expect(await detectComposeCli(plugin.run, {}, async () => '/usr/bin/docker-compose', async () => '/usr/libexec/docker/cli-plugins/docker-compose')).toEqual({ flavour: 'v2', base: ['docker', 'compose'] });
    expect(plugin.calls).toEqual([]);

    const v1 = fakeRun({});
    expect(await detectComposeCli(v1.run, {}, async () => '/usr/bin/docker-compose', async () => undefined)).toEqual({ flavour: 'v1', base: ['docker-compose'] });
    expect(v1.calls).toEqual([]);

    // A plugin where stack does not look (Docker Desktop's app bundle): docker says.
    const elsewhere = fakeRun({ 'docker compose version': { stdout: '2.30.0\n' } });
    expect(await detectComposeCli(elsewhere.run, {}, async () => undefined, async () => undefined)).toEqual({ flavour: 'v2', base: ['docker', 'compose'], version: '2.30.0' });
    expect(elsewhere.calls).toEqual(['docker compose version --short']);
  });

  it('with `locate`, is exit 6 when docker-compose is not on PATH either', async () => {
    const { run } = fakeRun({ 'docker compose': { exitCode: 1 } });
    const error = await rejection(detectComposeCli(run, {}, async () => undefined));
    expect(error.code).toBe(ExitCode.providerUnavailable);
    expect(error.message).toContain('neither `docker compose` (v2) nor `docker-compose` (v1)');
  });

  it('is exit 6 with an install hint when neither runs', async () => {
    const { run } = fakeRun({ 'docker compose': { exitCode: 1 }, 'docker-compose': { exitCode: null, spawnError: 'ENOENT' } });
    const error = await rejection(detectComposeCli(run, {}));
    expect(error.code).toBe(ExitCode.providerUnavailable);
    expect(error.message).toContain('neither `docker compose` (v2) nor `docker-compose` (v1)');
    expect(error.hint).toContain('apt-get install docker.io docker-compose');
  });
});

describe('checkEngine', () => {
  it('says which DOCKER_HOST does not answer and how to fix it', async () => {
    const { run } = fakeRun({ 'docker version': { exitCode: 1, stderr: 'Cannot connect to the Docker daemon at unix:///nope.sock. Is the docker daemon running?' } });
    const error = await rejection(checkEngine(run, { env: { DOCKER_HOST: 'unix:///nope.sock' } }));
    expect(error.code).toBe(ExitCode.providerUnavailable);
    expect(error.message).toContain('DOCKER_HOST=unix:///nope.sock is unreachable: Cannot connect');
    expect(error.hint).toContain('DOCKER_HOST');
  });

  it('says the docker CLI is missing when it cannot be run', async () => {
    const { run } = fakeRun({ 'docker version': { exitCode: null, spawnError: 'ENOENT' } });
    const error = await rejection(checkEngine(run, {}));
    expect(error.message).toContain('the docker CLI is not installed');
    expect(error.hint).toContain('apt-get install docker.io');
  });
});

describe('the compose provider without docker', () => {
  const service: DesiredService = desiredService({
    name: 'web',
    index: 0,
    provider: 'compose',
    enabled: true,
    state: 'running',
    dependsOn: [],
    ports: [],
    start: { settleMs: 100 }, stop: { signal: 'SIGTERM', timeoutMs: 3000 },
    restart: { policy: 'no', maxRestarts: 0, backoff: { initialMs: 1, maxMs: 1, resetMs: 1 } },
    logs: { maxSizeBytes: 1, maxFiles: 1 },
    sensitive: [],
    compose: { file: '/srv/compose.yaml', project: 'dev-web', services: ['web'], profiles: [], scale: {}, wait: true, env: {} },
  });;

  it('detects the CLI once and runs up -d --wait on v2', async () => {
    const { run, calls } = fakeRun({ 'docker version': { stdout: '27.0.1' }, 'docker compose': { stdout: '2.29.1' } });
    const provider = createComposeProvider({ run });
    await provider.start(service, ctx);
    await provider.start(service, ctx);
    expect(calls).toEqual([
      'docker version --format {{.Server.Version}}',
      'docker compose version --short',
      'docker compose -p dev-web -f /srv/compose.yaml up -d --wait --remove-orphans web',
      'docker compose -p dev-web -f /srv/compose.yaml up -d --wait --remove-orphans web',
    ]);
  });

  it('asks the engine and looks for the CLI at once; when both fail, the engine is the one told', async () => {
    const engine = deferred();
    const calls: string[] = [];
    const run: Run = async (argv) => {
      calls.push(argv.join(' '));
      if (argv[1] === 'version') await engine.promise;
      return { exitCode: 1, stdout: '', stderr: argv[1] === 'version' ? 'Cannot connect to the Docker daemon' : 'unknown command', timedOut: false };
    };
    const provider = createComposeProvider({ run, locate: async () => undefined });
    const detected = rejection(provider.cli(ctx));
    // The CLI was looked for while the engine had not answered yet.
    await vi.waitFor(() => expect(calls).toEqual(['docker version --format {{.Server.Version}}', 'docker compose version --short']));
    engine.resolve();
    expect((await detected).message).toContain('the docker engine at unix:///var/run/docker.sock is unreachable: Cannot connect');
  });

  it('looks again after a failed detection, so a watcher recovers when the engine comes back', async () => {
    let engineUp = false;
    const calls: string[] = [];
    const run: Run = async (argv) => {
      calls.push(argv.join(' '));
      const down = argv[1] === 'version' && !engineUp;
      return { exitCode: down ? 1 : 0, stdout: '', stderr: down ? 'Cannot connect' : '', timedOut: false };
    };
    const provider = createComposeProvider({ run });
    expect((await rejection(provider.cli(ctx))).code).toBe(ExitCode.providerUnavailable);
    engineUp = true;
    expect(await provider.cli(ctx)).toMatchObject({ flavour: 'v2' });
  });

  it('quotes a failing command and its stderr', async () => {
    const { run } = fakeRun({ 'docker version': {}, 'docker compose version': {}, 'docker compose -p': { exitCode: 1, stderr: 'no such image: nope\n' } });
    const provider = createComposeProvider({ run });
    await expect(provider.start(service, ctx)).rejects.toThrow(/web: `docker compose -p dev-web .* up -d --wait --remove-orphans web` failed \(exit 1\)\n {2}no such image: nope/);
  });

  it('stops and downs from what the state file recorded once the service left stack.yaml', async () => {
    const { run, calls } = fakeRun({ 'docker version': {}, 'docker compose': {} });
    const provider = createComposeProvider({ run });
    const applied = {
      provider: 'compose' as const,
      specHash: 'h',
      installHash: 'i',
      restarts: 0,
      fields: { 'compose.file': '/gone/compose.yaml', 'compose.project': 'dev-old', 'compose.services': '["api"]', 'compose.profiles': '[]', 'compose.env.TOKEN': 'sha:abc' },
    };
    await provider.stop('old', applied, { signal: 'SIGTERM', timeoutMs: 10_000, timeoutWritten: true }, ctx);
    expect(calls.at(-1)).toBe('docker compose -p dev-old -f /gone/compose.yaml stop -t 10 api');
    // A timeout stack.yaml did not write: compose's own (the compose file's stop_grace_period).
    await provider.stop('old', applied, { signal: 'SIGTERM', timeoutMs: 10_000 }, ctx);
    expect(calls.at(-1)).toBe('docker compose -p dev-old -f /gone/compose.yaml stop api');
  });
});
