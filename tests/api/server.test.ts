// The controller's API server (src/api/server.ts, docs/api.md) on a real controller
// (`stack up --detach`) and its real socket, spoken to with node:http alone (tests/support/api-http.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiJson, apiStream, socketCount, socketOf } from '../support/api-http.js';
import { Cleanup, lockOf, sleepsWith, statusJson } from '../support/controller.js';
import { gitIn } from '../support/git-repo.js';
import { isAlive, spawnCli, stack, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await cleanup.run();
});

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

const FAST = 'defaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\n';

/**
 * A stack under a controller (`stack up --detach`), its API answering. Run without blocking this
 * process: a probe the test serves must answer meanwhile.
 */
async function up(yaml: string): Promise<{ dir: string; file: string; pid: number }> {
  const s = cleanup.scratch(yaml);
  const started = await spawnCli(['up', '--detach', '--interval', '1s', '-f', s.file]).done;
  expect(started.code, started.stderr).toBe(0);
  return { dir: s.dir, file: s.file, pid: lockOf(s.dir)?.pid as number };
}

const pidOf = async (dir: string, name: string): Promise<number> => (await apiJson(dir, 'GET', `/v1/status?service=${name}`)).body.services[0].pid;


describe('the API server on .stack/api.sock', () => {
  it('status equals the daemonless `status --json` rows; an http ready probe is hit by none of 10 status calls', async () => {
    let hits = 0;
    const probe = createServer((_, response) => {
      hits += 1;
      response.end('ok');
    });
    servers.push(probe);
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    const m = marker();
    const s = await up(`version: 1\n${FAST}services:\n  web:\n    command: sleep ${m}\n    ready: { http: "http://127.0.0.1:${port}/", timeout: 10s }\n  worker:\n    command: sleep ${m}\n    ports: [${port + 1}]\n  idle:\n    command: sleep ${m}\n    state: stopped\n  off:\n    command: sleep ${m}\n    enabled: false\n`);
    expect(hits).toBeGreaterThan(0);
    const before = hits;

    const answers = await Promise.all(Array.from({ length: 10 }, () => apiJson(s.dir, 'GET', '/v1/status')));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(200));
    expect(hits).toBe(before);

    const body = answers[0]?.body;
    expect(body).toMatchObject({ formatVersion: 1, controller: { pid: s.pid } });
    // The socket set aside, the CLI finds no controller and looks for itself (no probe either).
    const socket = socketOf(s.dir);
    renameSync(socket, `${socket}.aside`);
    let daemonless;
    try {
      daemonless = statusJson(s.file);
    } finally {
      renameSync(`${socket}.aside`, socket);
    }
    expect(daemonless.notice).toMatch(/is acting on this stack/);
    // Port owners included: the controller read them after its first pass. CPU and memory are
    // read at other times (cpu only by the controller, over its tick), uptime a second apart at most: tests/api/usage.test.ts.
    const withoutUsage = (rows: object[]) => rows.map(({ cpu: _cpu, memory: _memory, uptime: _uptime, ...rest }: { cpu?: unknown; memory?: unknown; uptime?: unknown }) => rest);
    expect(withoutUsage(body.services)).toEqual(withoutUsage(daemonless.services));
    expect(body.services[0].memory).toBeGreaterThan(0);
    expect(daemonless.services[0]?.memory).toBeGreaterThan(0);
    expect(body.services[1]).toMatchObject({ name: 'worker', portsOpen: [false], portOwners: [{ port: port + 1, holder: 'none' }] });
    expect(body.services.map((row: { name: string; observed: string; health: string }) => `${row.name} ${row.observed} ${row.health}`)).toEqual(['web running ready', 'worker running none', 'idle stopped none', 'off absent none']);
    expect(hits).toBe(before);
  });

  it('plans with a hash and applies exactly that plan; a stale hash, a stale saved plan and an unknown target are refused', async () => {
    const m = marker();
    const s = await up(`version: 1\ndefaults:\n  restart: { policy: no }\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    // Killed, and left so by its restart policy: the controller's passes do not start it; a plan does.
    process.kill(await pidOf(s.dir, 'a'), 'SIGKILL');
    await waitFor(async () => (await apiJson(s.dir, 'GET', '/v1/status?service=a')).body.services[0].observed === 'crashed', 5000, 'a to be crashed');

    const planned = await apiJson(s.dir, 'GET', '/v1/plan');
    expect(planned.status).toBe(200);
    expect(planned.body).toMatchObject({ formatVersion: 1, actions: [{ service: 'a', op: 'start' }], planHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), saved: { formatVersion: 1, services: { a: { phase: 'crashed' } } } });
    expect(stack(['plan', '--json', '-f', s.file]).stdout).toBe(`${JSON.stringify({ ...planned.body, planHash: undefined, saved: undefined }, null, 2)}\n`);

    const run = await apiStream(s.dir, 'POST', '/v1/apply', { planHash: planned.body.planHash });
    expect([run.status, run.contentType]).toEqual([200, 'application/x-ndjson']);
    const lines = await run.done();
    expect(lines.map((line) => `${line.type}${line.event ? ` ${line.event.type}` : ''}`)).toEqual(['plan', 'progress begin', 'progress end', 'result']);
    expect(lines.at(-1)).toMatchObject({ formatVersion: 1, exitCode: 0, plan: { actions: [{ service: 'a', op: 'start' }] }, outcome: { failed: 0, services: [{ service: 'a', status: 'done' }] } });
    expect(await pidOf(s.dir, 'a')).toBeGreaterThan(0);

    // The same hash again: a runs now, so planning again gives another plan; said with what changed.
    const again = await apiJson(s.dir, 'POST', '/v1/apply', { planHash: planned.body.planHash });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/the plan changed since it was made: a was crashed, now running/) });
    const unknown = await apiJson(s.dir, 'POST', '/v1/apply', { planHash: 'sha256:0' });
    expect([unknown.status, unknown.body.error.exitCode]).toEqual([409, 1]);
    const stale = await apiJson(s.dir, 'POST', '/v1/apply', { saved: planned.body.saved });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ exitCode: 1, message: expect.stringMatching(/^the saved plan is stale: a was crashed, now running/) });
    const target = await apiJson(s.dir, 'POST', '/v1/apply', { targets: ['nope'] });
    expect([target.status, target.body.error.exitCode, target.body.error.message]).toEqual([404, 4, expect.stringContaining('no service named "nope"')]);
    expect((await apiJson(s.dir, 'GET', '/v1/plan?target=nope')).status).toBe(404);

    // Nothing to do: the same shape, exit 0.
    const nothing = await (await apiStream(s.dir, 'POST', '/v1/apply', {})).done();
    expect(nothing.map((line) => line.type)).toEqual(['plan', 'result']);
    expect(nothing[1]).toMatchObject({ exitCode: 0, outcome: { services: [] } });
  });

  it('answers errors with an ErrorBody: unknown route 404, wrong method 405, bad JSON 400', async () => {
    const m = marker();
    const s = await up(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const cases = [
      [await apiJson(s.dir, 'GET', '/v1/nothing'), 404],
      [await apiJson(s.dir, 'POST', '/v1/services/explode', { services: ['a'] }), 404],
      [await apiJson(s.dir, 'POST', '/v1/status'), 405],
      [await apiJson(s.dir, 'GET', '/v1/apply'), 405],
      [await apiJson(s.dir, 'POST', '/v1/apply', '{"planHash": '), 400],
      [await apiJson(s.dir, 'POST', '/v1/services/start', { services: 'a' }), 400],
      [await apiJson(s.dir, 'GET', '/v1/logs?lines=many'), 400],
    ] as const;
    for (const [answer, status] of cases) {
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual({ formatVersion: 1, error: { message: expect.any(String), exitCode: 1 } });
    }
  });

  it('a verb with commit edits stack.yaml, commits it and starts the service: edit, plan, progress, result', async () => {
    const m = marker();
    const s = await up(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n    state: stopped\n  off:\n    command: sleep ${m}\n    enabled: false\n`);
    gitIn(s.dir, 'init', '-q');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '-qm', 'the stack');

    const run = await apiStream(s.dir, 'POST', '/v1/services/start', { services: ['b'], commit: true });
    const lines = await run.done();
    expect(lines.map((line) => `${line.type}${line.event ? ` ${line.event.type} ${line.event.service ?? line.event.outcome.service}` : ''}`)).toEqual(['edit', 'plan', 'progress begin b', 'progress end b', 'result']);
    expect(lines[0]).toMatchObject({ formatVersion: 1, edited: ['b'], already: [], warnings: [], commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(lines[1].plan.actions).toEqual([{ service: 'b', op: 'start', reason: expect.any(String) }]);
    expect(lines.at(-1)).toMatchObject({ exitCode: 0, outcome: { services: [{ service: 'b', status: 'done' }] } });
    expect(readFileSync(s.file, 'utf8')).toMatch(/b:\n {4}command: sleep \d+\n {4}state: running\n/);
    expect(gitIn(s.dir, 'log', '-1', '--format=%H %s')).toBe(`${lines[0].commit} stack: start b`);
    expect(gitIn(s.dir, 'status', '--porcelain', 'stack.yaml')).toBe('');
    expect((await apiJson(s.dir, 'GET', '/v1/status?service=b')).body.services[0].observed).toBe('running');

    const unknown = await apiJson(s.dir, 'POST', '/v1/services/stop', { services: ['nope'] });
    expect([unknown.status, unknown.body.error.exitCode]).toEqual([404, 4]);
    const disabled = await apiJson(s.dir, 'POST', '/v1/services/restart', { services: ['off'] });
    expect([disabled.status, disabled.body.error.exitCode, disabled.body.error.message]).toEqual([400, 1, 'cannot restart off: disabled or not in stack.yaml']);

    // restart: no edit line; a new run.
    const before = await pidOf(s.dir, 'a');
    const restart = await (await apiStream(s.dir, 'POST', '/v1/services/restart', { services: ['a'] })).done();
    expect(restart.map((line) => line.type)).toEqual(['plan', 'progress', 'progress', 'progress', 'progress', 'result']);
    expect(restart.at(-1)).toMatchObject({ exitCode: 0 });
    expect(await pidOf(s.dir, 'a')).not.toBe(before);
  });

  it('logs: the tail of each service in order then caught-up and end; a follow sees new lines; secrets are redacted', async () => {
    const m = marker();
    const secret = `Zq7-${m}-secret`;
    const s = await up(`version: 1\n${FAST}services:\n  a:\n    command: [sh, -c, 'echo "a one $$API_TOKEN"; echo a two; exec sleep ${m}']\n    env: { API_TOKEN: ${secret} }\n  b:\n    command: [sh, -c, 'echo b one; exec sleep ${m}']\n`);
    await waitFor(() => readFileSync(join(s.dir, '.stack', 'logs', 'b.log'), 'utf8').includes('b one'), 5000, "b's log").catch(() => undefined);

    const tail = await (await apiStream(s.dir, 'GET', '/v1/logs?lines=10')).done();
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(tail).toEqual([
      { formatVersion: 1, type: 'line', service: 'a', text: '── a started ──', stream: 'stack', at },
      { formatVersion: 1, type: 'line', service: 'a', text: 'a one (sensitive)', stream: 'stdout', at },
      { formatVersion: 1, type: 'line', service: 'a', text: 'a two', stream: 'stdout', at },
      { formatVersion: 1, type: 'line', service: 'b', text: '── b started ──', stream: 'stack', at },
      { formatVersion: 1, type: 'line', service: 'b', text: 'b one', stream: 'stdout', at },
      { formatVersion: 1, type: 'caught-up' },
      { formatVersion: 1, type: 'end', exitCode: 0 },
    ]);
    const one = await (await apiStream(s.dir, 'GET', '/v1/logs?service=b&lines=1')).done();
    expect(one.map((line) => line.text ?? line.type)).toEqual(['b one', 'caught-up', 'end']);
    // Narrowed: a grep (RE2) counts only what matches; stderr alone is nothing here; a window
    // ahead of now is empty; a bad pattern or time is the client's mistake (400, exit 1).
    const narrowed = async (query: string) => (await (await apiStream(s.dir, 'GET', `/v1/logs?${query}`)).done()).filter((line) => line.type === 'line').map((line) => line.text);
    expect(await narrowed('service=a&lines=1&grep=%5Ea%20one')).toEqual(['a one (sensitive)']);
    expect(await narrowed('service=a&stderr=1')).toEqual([]);
    expect(await narrowed(`service=a&since=${new Date(Date.now() + 3_600_000).toISOString()}`)).toEqual([]);
    expect(await narrowed(`service=a&lines=all&since=${new Date(Date.now() - 60_000).toISOString()}`)).toEqual(['── a started ──', 'a one (sensitive)', 'a two']);
    for (const query of ['grep=(', 'since=yesterday', 'until=10m']) expect((await apiJson(s.dir, 'GET', `/v1/logs?${query}`)).status, query).toBe(400);
    expect((await apiJson(s.dir, 'GET', '/v1/logs?service=nope')).status).toBe(404);

    const follow = await apiStream(s.dir, 'GET', '/v1/logs?service=b&lines=0&follow=1');
    await follow.waitForLine((line) => line.type === 'caught-up');
    process.kill(await pidOf(s.dir, 'b'), 'SIGKILL');
    // Restarted, it says its first line again: the follow goes on across the restart.
    await follow.waitForLine((line) => line.text === 'b one');
    expect(follow.ended()).toBe(false);
    follow.close();
  });

  it('events: a follower sees kill -9 as exited → restarting → running, with phase and probe events; a file change and its pass; two clients at once', async () => {
    const m = marker();
    const s = await up(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const events = await apiStream(s.dir, 'GET', '/v1/events');
    expect(await events.waitForLine(() => true)).toMatchObject({ formatVersion: 1, type: 'following', pid: s.pid });
    const pid = await pidOf(s.dir, 'a');
    process.kill(pid, 'SIGKILL');
    // Other clients meanwhile: status calls are answered while the follower follows.
    const statuses = await Promise.all(Array.from({ length: 5 }, () => apiJson(s.dir, 'GET', '/v1/status')));
    expect(statuses.map((answer) => answer.status)).toEqual(Array(5).fill(200));
    await events.waitForLine((line) => line.type === 'running' && line.service === 'a', 10_000, 'a running again');
    const told = events.lines.filter((line) => ['exited', 'restarting', 'running'].includes(line.type)).map((line) => `${line.type} ${line.service}`);
    expect(told).toEqual(['exited a', 'restarting a', 'running a']);
    expect(events.lines.find((line) => line.type === 'exited')).toMatchObject({ signal: 'SIGKILL', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    await events.waitForLine((line) => line.type === 'phase' && line.service === 'a' && line.phase === 'running');

    // A change of the file: file-changed, then the pass with its reason; c's ready probe passing is told.
    const yaml = readFileSync(s.file, 'utf8');
    writeFileSync(s.file, `${yaml}  c:\n    command: [sh, -c, 'echo up; exec sleep ${m}']\n    ready: { log: up, timeout: 10s }\n`);
    await events.waitForLine((line) => line.type === 'reconciled' && /changed/.test(line.reason), 10_000, 'the pass after the edit');
    const order = events.lines.map((line) => line.type).filter((type) => ['file-changed', 'plan', 'reconciled'].includes(type));
    expect(order.slice(-3)).toEqual(['file-changed', 'plan', 'reconciled']);
    expect(events.lines.find((line) => line.type === 'file-changed').paths).toEqual(['stack.yaml']);
    expect(events.lines.find((line) => line.type === 'plan' && /changed/.test(line.reason)).actions).toEqual(['install c', 'start c']);
    expect(await events.waitForLine((line) => line.type === 'probe')).toEqual({ formatVersion: 1, at: expect.any(String), type: 'probe', service: 'c', kind: 'ready', ok: true });
    await events.waitForLine((line) => line.type === 'phase' && line.service === 'c' && line.previous === 'starting' && line.phase === 'running');
    events.close();
  });

  it('status between changes: each answer counts uptime at its own time; a kill, a restart and an edit of the file show in the next answer', async () => {
    const m = marker();
    const secret = `Zq9-${m}-token`;
    const s = await up(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n  t:\n    command: [sh, -c, 'sleep ${m}; true', ${secret}]\n    env: { API_TOKEN: ${secret} }\n`);
    type Row = { name: string; pid: number; since: string; uptime: number; observed: string; restarts: number };
    const rowsOf = async () => (await apiJson(s.dir, 'GET', '/v1/status')).body.services as Row[];
    const rowOf = (rows: Row[], name: string): Row => rows.find((row) => row.name === name) ?? expect.fail(`no row for ${name}`);
    // The controller keeps its rows between changes: uptime must not be kept with them.
    // Every 100 ms for 2.5 s, past a second boundary and a usage tick: each answer's uptime is
    // the whole seconds from since to a moment between its request and its answer.
    for (let i = 0; i < 25; i += 1) {
      const asked = Date.now();
      const answer = await rowsOf();
      const answered = Date.now();
      const a = rowOf(answer, 'a');
      const since = Date.parse(a.since);
      expect(a.uptime, `answer ${i}`).toBeGreaterThanOrEqual(Math.floor((asked - since) / 1000));
      expect(a.uptime, `answer ${i}`).toBeLessThanOrEqual(Math.floor((answered - since) / 1000));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The secret is in t's command line: its command column (read on the usage tick) has it replaced.
    const told = await waitFor(async () => ((await rowsOf()).find((row) => row.name === 't') as { command?: string | null } | undefined)?.command, 10_000, "t's command column");
    expect(told).toContain('sleep');
    expect(JSON.stringify(await rowsOf())).not.toContain(secret);
    const first = rowOf(await rowsOf(), 'a');
    process.kill(first.pid, 'SIGKILL');
    const restarted = await waitFor(async () => {
      const row = rowOf(await rowsOf(), 'a');
      return row.pid !== first.pid && row.observed === 'running' ? row : undefined;
    }, 10_000, 'a restarted, in the status');
    expect(restarted.restarts).toBe(first.restarts + 1);
    writeFileSync(s.file, `${readFileSync(s.file, 'utf8')}  c:\n    command: sleep ${m}\n`);
    const c = await waitFor(async () => (await rowsOf()).find((row) => row.name === 'c' && row.observed === 'running'), 10_000, 'c running, in the status');
    expect(c.pid).toBeGreaterThan(0);
  });

  it('a client that goes mid-run interrupts it (exit 130, told as a run event); followers that go are forgotten and the controller serves on', async () => {
    const m = marker();
    const s = await up(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n    ready: { log: ready, timeout: 30s }\n    state: stopped\n  b:\n    command: sleep ${m}\n`);
    const baseline = socketCount(s.pid);
    const events = await apiStream(s.dir, 'GET', '/v1/events');
    await events.waitForLine((line) => line.type === 'following');

    // `start a` never gets ready: the client goes while it waits.
    const run = await apiStream(s.dir, 'POST', '/v1/services/start', { services: ['a'] });
    await run.waitForLine((line) => line.type === 'progress' && line.event.type === 'begin');
    run.close();
    const ended = await events.waitForLine((line) => line.type === 'run' && line.exitCode !== undefined, 10_000, 'the run to end');
    expect(ended).toMatchObject({ by: 'stack start', exitCode: 130 });

    const logs = await apiStream(s.dir, 'GET', '/v1/logs?follow=1');
    await logs.waitForLine((line) => line.type === 'caught-up');
    const others = await Promise.all([apiStream(s.dir, 'GET', '/v1/events'), apiStream(s.dir, 'GET', '/v1/events')]);
    logs.close();
    events.close();
    for (const other of others) other.close();
    await waitFor(() => socketCount(s.pid) <= baseline, 5000, `the controller to close the sockets of the clients that went (baseline ${baseline})`);
    const status = await apiJson(s.dir, 'GET', '/v1/status');
    expect(status.status).toBe(200);
    expect(status.body.services.find((row: { name: string }) => row.name === 'b').observed).toBe('running');
  });

  it('a stale socket file (nobody listening) is replaced by a starting controller, mode 0600; stop removes it', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const socket = socketOf(s.dir);
    // A controller killed with SIGKILL leaves its socket file: made here by a process killed the same way.
    const left = spawnSync(process.execPath, ['-e', `require('fs').mkdirSync(${JSON.stringify(join(s.dir, '.stack'))}, { mode: 0o700 }); require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(left.signal).toBe('SIGKILL');
    expect(statSync(socket).isSocket()).toBe(true);

    expect(stack(['up', '--detach', '--interval', '1s', '-f', s.file]).code).toBe(0);
    const pid = lockOf(s.dir)?.pid as number;
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const status = await apiJson(s.dir, 'GET', '/v1/status');
    expect(status.body).toMatchObject({ controller: { pid }, services: [{ name: 'a', observed: 'running' }] });
    expect(sleepsWith(m)).toHaveLength(1);

    expect((await apiJson(s.dir, 'POST', '/v1/stop')).status).toBe(202);
    await waitFor(() => !isAlive(pid), 10_000, 'the controller to exit');
    expect(existsSync(socket)).toBe(false);
  });
});
