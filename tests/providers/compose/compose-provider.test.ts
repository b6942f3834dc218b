// The compose provider against a real docker engine (scripts/docker-test-env.sh starts one).
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import type { DesiredService } from '../../../src/model/desired.js';
import type { ComposeSpec } from '../../../src/providers/compose/spec.js';
import { createComposeProvider } from '../../../src/providers/compose/compose-provider.js';
import { containersFromEngine, parsePsLines, type Container } from '../../../src/providers/compose/containers.js';
import { engineContainersFor } from '../../../src/providers/compose/engine-api.js';
import { runCommand } from '../../../src/os/runner.js';
import type { LogLine } from '../../../src/model/log-line.js';
import type { LogsRequest, OperationContext } from '../../../src/model/provider.js';
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
    // --verbose saw each docker command once, as run. Each observation asked the engine's socket
    // (no `docker ps`), which answered for the engine: `docker version` is asked only to say why
    // a command failed. The compose CLI was found on disk, not run (`version --short`).
    expect(lines.filter((line) => line.includes(' up -d '))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('GET /containers/json?'))).toHaveLength(5);
    expect(lines.filter((line) => line.startsWith('docker ps'))).toHaveLength(0);
    expect(lines.filter((line) => line.startsWith('docker version'))).toHaveLength(0);
    expect(lines.filter((line) => / version --short$/.test(line))).toHaveLength(0);
  });

  dockerIt('reads a project from the engine\'s socket as `docker ps` reads it: states, health, exit codes', async () => {
    const compose =
      `services:\n  web:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(LOOP)}]\n    healthcheck: { test: ["CMD", "true"], interval: 1s, timeout: 1s, retries: 3 }\n` +
      `  job:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", "exit 3"]\n`;
    const { provider, service, ctx, project, applied } = await setup(compose);
    await provider.start(service, ctx);
    await waitFor(() => containersOf(project).some((c) => c.state === 'exited') && containersOf(project).some((c) => c.status.includes('(healthy)')), 20_000, 'job to exit and web to be healthy');
    const byName = (a: Container, b: Container) => a.name.localeCompare(b.name);
    const rows = await engineContainersFor(process.env)(project, { signal: ctx.signal });
    const viaEngine = containersFromEngine(rows ?? []).sort(byName);
    const viaCli = parsePsLines(docker(['ps', '-a', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{json .}}']).stdout).sort(byName);
    expect(viaEngine).toEqual(viaCli);
    expect(viaEngine).toEqual([expect.objectContaining({ service: 'job', state: 'exited', exitCode: 3 }), expect.objectContaining({ service: 'web', state: 'running', health: 'healthy' })]);
    // The provider's answer is the same asked either way (one given its own `run` asks the CLI alone).
    const cliOnly = createComposeProvider({ run: runCommand });
    expect(await provider.observe('app', service, applied(false), ctx)).toEqual(await cliOnly.observe('app', service, applied(false), ctx));
    expect(await provider.observe('app', service, applied(false), ctx)).toMatchObject({ phase: 'crashed', detail: 'job exited with code 3' });
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
    // As `docker ps` shows it: newer clients quote an argument with spaces, older ones do not.
    expect([`${TEST_IMAGE} sh -c ${busy}`, `${TEST_IMAGE} sh -c '${busy}'`]).toContain(usage?.command);
    await provider.stop('app', applied(false), { signal: 'SIGTERM', timeoutMs: 5000 }, ctx);
    expect(await provider.usage!('app', service, applied(true), ctx)).toBeUndefined();
  });

});

// Five rounds of one stdout and one stderr line, 50 ms apart (so rounds fall in different
// milliseconds); `token hunter2` tests redaction.
const ROUNDS = `i=1; while [ $i -le 5 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.05; done; echo "token hunter2"; ${LOOP}`;
const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe('compose logs on a real engine', () => {
  async function talking(command = ROUNDS, scale?: number) {
    const scaled = scale === undefined ? {} : { scale: { talk: scale } };
    // `$$`: compose would interpolate `$i` itself.
    const escaped = command.replaceAll('$', () => '$$');
    const made = await setup(`services:\n  talk:\n    image: ${TEST_IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(escaped)}]\n`, scaled);
    const ctx = { ...made.ctx, redact: (text: string) => text.replaceAll('hunter2', '***') };
    const logs = async (request: Partial<LogsRequest> = {}): Promise<LogLine[]> => {
      const lines: LogLine[] = [];
      await made.provider.logs('app', made.service, undefined, { lines: 100, follow: false, signal: ctx.signal, write: (more) => lines.push(...more), ...request }, ctx);
      return lines;
    };
    await made.provider.start(made.service, ctx);
    return { ...made, ctx, logs };
  }
  const texts = (lines: readonly LogLine[]) => lines.map((line) => line.text);
  const ofStream = (lines: readonly LogLine[], stream: string) => texts(lines.filter((line) => line.stream === stream));

  dockerIt('every line has the engine\'s time (in order, without docker\'s prefix) and its stream; secrets redacted', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const { logs } = await talking();
    await waitFor(async () => (await logs()).some((line) => line.text.startsWith('token')), 15_000, 'the last line');
    const lines = await logs();
    expect(ofStream(lines, 'stdout')).toEqual(['out 1', 'out 2', 'out 3', 'out 4', 'out 5', 'token ***']);
    expect(ofStream(lines, 'stderr')).toEqual(['err 1', 'err 2', 'err 3', 'err 4', 'err 5']);
    const times = lines.map((line) => line.at ?? '');
    for (const at of times) expect(at).toMatch(STAMP);
    expect(times).toEqual([...times].sort());
    expect(times[0]! > before && times.at(-1)! <= new Date().toISOString().replace('Z', '999Z')).toBe(true);
  });

  dockerIt('since and until: a window ahead of now is empty, a minute back has every line, until ends at its time', async () => {
    const { logs } = await talking();
    await waitFor(async () => (await logs()).length === 11, 15_000, 'the eleven lines');
    expect(await logs({ since: new Date(Date.now() + 60_000) })).toEqual([]);
    expect(await logs({ since: new Date(Date.now() - 60_000), lines: Infinity })).toHaveLength(11);
    expect(await logs({ until: new Date(Date.now() - 60_000) })).toEqual([]);

    const all = await logs();
    const third = all.find((line) => line.text === 'out 3')!;
    const until = new Date(third.at!.slice(0, 23) + 'Z');
    const early = await logs({ until });
    expect(ofStream(early, 'stdout')).toEqual(['out 1', 'out 2', 'out 3']);
    expect(ofStream(early, 'stderr').slice(0, 2)).toEqual(['err 1', 'err 2']);
    expect(early.every((line) => line.at! <= `${third.at!.slice(0, 23)}999Z`)).toBe(true);
    // From out 3's own millisecond on: out 3 is the first stdout line.
    const late = await logs({ since: until });
    expect(ofStream(late, 'stdout')[0]).toBe('out 3');
    // With both, and a count: the last two lines up to out 3 (docker alone would count from the log's end).
    expect(await logs({ until, lines: 2 })).toEqual(early.slice(-2));
  });

  dockerIt('-n is the last lines of the timeline; a match is tested before they are counted', async () => {
    const { logs } = await talking();
    await waitFor(async () => (await logs()).length === 11, 15_000, 'the eleven lines');
    const all = await logs();
    expect(await logs({ lines: 3 })).toEqual(all.slice(-3));
    expect(await logs({ lines: 0 })).toEqual([]);
    // The last two lines with a 2 or a 4 in them, not those among the last two lines.
    expect(texts(await logs({ lines: 2, match: (line) => / [24]$/.test(line.text) })).sort()).toEqual(['err 4', 'out 4']);
    expect(texts(await logs({ lines: 3, match: (line) => line.stream === 'stderr' }))).toEqual(['err 3', 'err 4', 'err 5']);
  });

  dockerIt('a match far back in a long log is found (docker is asked for longer tails until it is)', async () => {
    const long = `echo needle; i=0; while [ $i -lt 3000 ]; do echo "hay $i"; i=$((i+1)); done; ${LOOP}`;
    const { logs } = await talking(long);
    await waitFor(async () => (await logs({ lines: 1 }))[0]?.text === 'hay 2999', 15_000, 'the last line');
    expect(texts(await logs({ lines: 5, match: (line) => line.text.startsWith('needle') }))).toEqual(['needle']);
  });

  dockerIt('follow: the tail, then new lines with their time, none twice, until the signal aborts', async () => {
    const { logs, provider, service, ctx, applied } = await talking(`trap "echo got HUP" HUP; ${ROUNDS}`);
    await waitFor(async () => (await logs()).length === 11, 15_000, 'the eleven lines');
    const abort = new AbortController();
    const lines: LogLine[] = [];
    let caughtUp = false;
    const following = provider.logs('app', service, undefined, { lines: 2, follow: true, signal: abort.signal, pollMs: 100, write: (more) => lines.push(...more), caughtUp: () => (caughtUp = true) }, ctx);
    await waitFor(() => caughtUp, 15_000, 'the tail');
    expect(lines).toHaveLength(2);
    await provider.signal!('app', applied(false), 'SIGHUP', ctx);
    await waitFor(() => lines.some((line) => line.text === 'got HUP'), 15_000, 'the line printed after the tail');
    abort.abort();
    await following;
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ stream: 'stdout', at: expect.stringMatching(STAMP) });
    expect(lines[2]!.at! > lines[1]!.at!).toBe(true);
  });

  dockerIt('a scaled service: both containers\' lines in one timeline, each marked with its container', async () => {
    const { logs } = await talking(ROUNDS, 2);
    await waitFor(async () => (await logs()).length === 22, 20_000, 'both containers\' lines');
    const lines = await logs();
    const times = lines.map((line) => line.at ?? '');
    expect(times).toEqual([...times].sort());
    const names = new Set(lines.map((line) => /^(\S+) \| /.exec(line.text)?.[1]));
    expect(names.size).toBe(2);
    expect(await logs({ lines: 4 })).toEqual(lines.slice(-4));
  });
});
