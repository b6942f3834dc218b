// The controller's API under clients that push it: a busy controller, huge or odd requests, a
// controller closing mid-run. Real controller (`stack up --detach`), real socket.
import { request, type IncomingMessage } from 'node:http';
import { connect as connectSocket } from 'node:net';
import { join } from 'node:path';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/api/connect.js';
import { apiJson, apiStream, socketCount, socketOf } from '../support/api-http.js';
import { Cleanup, lockOf } from '../support/controller.js';
import { isAlive, spawnCli, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

/** A stack under a controller (`stack up --detach`); `yaml` may name the stack's folder. */
async function up(yaml: (dir: string) => string): Promise<{ dir: string; file: string; pid: number }> {
  const s = cleanup.scratch('version: 1\nservices: {}\n');
  s.write(yaml(s.dir));
  const started = await spawnCli(['up', '--detach', '--interval', '10m', '-f', s.file]).done;
  expect(started.code, started.stderr).toBe(0);
  return { dir: s.dir, file: s.file, pid: lockOf(s.dir)?.pid as number };
}

/**
 * `a` runs; `slow` is stopped, and once started is ready only when the file `go` exists: a start
 * of it holds the controller's turn until the test says so.
 */
const slowStack = (m: string, dir: string) =>
  `version: 1\nservices:\n  a:\n    command: sleep ${m}\n  slow:\n    command: sleep ${m}\n    state: stopped\n    ready: { exec: [test, -f, ${join(dir, 'go')}], interval: 100ms, timeout: 60s }\n`;

/** Starts `slow` through the API: resolves once its start began (the turn is held). */
async function holdTheTurn(dir: string) {
  const run = await apiStream(dir, 'POST', '/v1/services/start', { services: ['slow'] });
  await run.waitForLine((line) => line.type === 'progress' && line.event.type === 'begin', 10_000, "slow's start to begin");
  return run;
}


/** The interim answers (1xx) and the status of one request, once its status line came. */
function statusesOf(dir: string, method: string, path: string, body?: unknown): { informed: Promise<number>; finalStatus: Promise<number> } {
  const sent = request({ socketPath: socketOf(dir), method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const informed = new Promise<number>((resolve) => sent.once('information', (info) => resolve(info.statusCode)));
  const finalStatus = new Promise<number>((resolve, reject) => {
    sent.once('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    sent.once('error', reject);
  });
  sent.end(body === undefined ? undefined : JSON.stringify(body));
  return { informed, finalStatus };
}

describe('the API under clients that push it', () => {
  it('a run waiting for the turn is told at once (102): a busy controller is not a silent one', async () => {
    const m = marker();
    const s = await up((dir) => slowStack(m, dir));
    const held = await holdTheTurn(s.dir);

    // The plan and an apply wait behind the start; each is told at once that the controller answers.
    const plan = statusesOf(s.dir, 'GET', '/v1/plan');
    expect(await plan.informed).toBe(102);
    // A client that gives up after half a second without a sign of life does not give up.
    let settled = false;
    const second = connect(s.dir, { timeoutMs: 500 }).apply({});
    second.then(
      () => (settled = true),
      () => (settled = true),
    );
    await waitFor(() => settled, 2000, 'the second apply to settle').catch(() => undefined);
    expect(settled).toBe(false);

    writeFileSync(join(s.dir, 'go'), '');
    const lines = await held.done();
    expect(lines.at(-1)).toMatchObject({ type: 'result', exitCode: 0 });
    expect(await plan.finalStatus).toBe(200);
    expect(await second).toMatchObject({ type: 'result', exitCode: 0 });
  });

  it('`stack stop` while a slow start holds the turn is carried out by the controller, not refused as locked', async () => {
    const m = marker();
    const s = await up((dir) => slowStack(m, dir));
    await holdTheTurn(s.dir);

    const stop = spawnCli(['stop', 'a', '-f', s.file]);
    // Longer than the CLI waits for a silent controller (5 s).
    await waitFor(() => stop.result(), 6500, 'stack stop to end').catch(() => undefined);
    writeFileSync(join(s.dir, 'go'), '');
    const result = await stop.done;
    expect(result.stderr).not.toMatch(/does not answer|locked/);
    expect(result.code, result.stderr).toBe(0);
  }, 30_000);

  it('a body over 8 MiB is answered 413 with an ErrorBody, whole; the controller serves on', async () => {
    const s = await up(() => 'version: 1\nservices: {}\n');
    const sent = request({ socketPath: socketOf(s.dir), method: 'POST', path: '/v1/apply', headers: { 'content-type': 'application/json' } });
    let failed: Error | undefined;
    // Once answered, the controller reads no more: what the client still sends fails (ECONNRESET).
    sent.on('error', (error) => (failed = error));
    const answered = new Promise<IncomingMessage>((resolve) => sent.once('response', resolve));
    // 16 MiB: the client is still sending when the limit is passed.
    const piece = 'x'.repeat(1024 * 1024);
    sent.write('"');
    for (let index = 0; index < 16; index++) sent.write(piece);
    sent.end('"');
    const response = await Promise.race([answered, waitFor(() => failed, 20_000, 'an answer').then(() => Promise.reject(failed))]);
    let text = '';
    for await (const chunk of response) text += String(chunk);
    expect([response.statusCode, JSON.parse(text)]).toEqual([413, { formatVersion: 1, error: { message: 'the request body is too large', exitCode: 1 } }]);
    expect((await apiJson(s.dir, 'GET', '/v1/status')).status).toBe(200);
  });

  it('odd query values are refused with 400 (exit 1): follow=yes does not quietly mean "no"', async () => {
    const s = await up(() => 'version: 1\nservices: {}\n');
    for (const query of ['follow=yes', 'follow=', 'lines=-1', 'lines=1.5', 'lines=many', 'lines=1e400']) {
      const answer = await apiJson(s.dir, 'GET', `/v1/logs?${query}`);
      expect([query, answer.status, answer.body.error?.exitCode]).toEqual([query, 400, 1]);
    }
    for (const query of ['follow=0', 'follow=false', 'lines=0', 'lines=1e12']) {
      const lines = await (await apiStream(s.dir, 'GET', `/v1/logs?${query}`)).done();
      expect([query, lines.at(-1)]).toEqual([query, { formatVersion: 1, type: 'end', exitCode: 0 }]);
    }
  });

  it('the controller closing mid-run ends the run with its result, interrupted (exit 130), not a cut stream', async () => {
    const m = marker();
    const s = await up((dir) => slowStack(m, dir));
    const held = await holdTheTurn(s.dir);
    process.kill(s.pid, 'SIGTERM');
    const lines = await held.done();
    expect(lines.at(-1)).toMatchObject({ formatVersion: 1, type: 'result', exitCode: 130, outcome: { interrupted: true } });
  });

  it('a request target no URL parser takes is answered 400; the controller lives on', async () => {
    const s = await up(() => 'version: 1\nservices: {}\n');
    for (const target of ['//[', 'http://[']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connectSocket(socketOf(s.dir));
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.once('close', () => resolve(text));
        socket.once('error', reject);
        socket.end(`GET ${target} HTTP/1.0\r\nHost: stack\r\n\r\n`);
      });
      expect(answer, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer, target).toContain('"exitCode":1');
    }
    expect(isAlive(s.pid)).toBe(true);
    expect((await apiJson(s.dir, 'GET', '/v1/status')).status).toBe(200);
  });

  it('a follower that stops reading is dropped once 4 MiB wait for it (1 MB of log every 0.1 s); the controller serves on', async () => {
    const m = marker();
    const s = await up((dir) => `version: 1\nservices:\n  loud:\n    command: [sh, -c, 'while [ ! -f ${join(dir, 'go')} ]; do sleep 0.05; done; for i in $(seq 40); do head -c 1000000 /dev/zero | tr "\\\\0" x | fold -w 1000; sleep 0.1; done; exec sleep ${m}']\n`);
    const before = socketCount(s.pid);
    // A raw socket, paused: nothing more is read from the kernel, so the controller's buffer grows.
    const socket = connectSocket(socketOf(s.dir));
    socket.on('error', () => undefined);
    let text = '';
    socket.setEncoding('utf8');
    const onData = (chunk: string) => (text += chunk);
    socket.on('data', onData);
    socket.write('GET /v1/logs?service=loud&lines=0&follow=1 HTTP/1.1\r\nHost: stack\r\n\r\n');
    await waitFor(() => text.includes('"caught-up"'), 10_000, 'caught-up');
    socket.pause();
    socket.off('data', onData);
    expect(socketCount(s.pid)).toBe(before + 1);
    writeFileSync(join(s.dir, 'go'), '');
    await waitFor(() => socketCount(s.pid) === before, 20_000, 'the controller to drop the follower');
    socket.destroy();
    expect((await apiJson(s.dir, 'GET', '/v1/status')).status).toBe(200);
  });

  it('`stack plan` against a stopped controller (SIGSTOP) gives up on it within seconds, and plans itself', async () => {
    const m = marker();
    const s = await up(() => `version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    process.kill(s.pid, 'SIGSTOP');
    try {
      const began = performance.now();
      const plan = await spawnCli(['plan', '-f', s.file]).done;
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stderr).toMatch(/does not answer .*; planning without it/);
      expect(performance.now() - began).toBeLessThan(15_000);
    } finally {
      process.kill(s.pid, 'SIGCONT');
    }
  });

  it("a log's tail that begins inside a line leaves that line's piece out: the end of a secret is not shown", async () => {
    const m = marker();
    // 8000 lines of 25 bytes: the last 64 KiB begin 14 bytes into a line, inside the secret.
    const s = await up(() => `version: 1\nservices:\n  s:\n    command: [sh, -c, 'yes "$$API_TOKEN" | head -c 200000; exec sleep ${m}']\n    env: { API_TOKEN: tok-0123456789abcdefghij }\n`);
    // The start's own line, then the 8000 lines, each framed (model/log-line.ts).
    await waitFor(() => linesIn(join(s.dir, '.stack', 'logs', 's.log')) === 8001, 10_000, 'the whole log');
    const lines = (await (await apiStream(s.dir, 'GET', '/v1/logs?service=s&lines=100000')).done()).filter((line) => line.type === 'line' && line.stream !== 'stack');
    expect(lines.length).toBeGreaterThan(2000);
    expect(lines.filter((line) => line.text !== '(sensitive)').map((line) => line.text)).toEqual([]);
  });

  it('status of a service nobody knows is 404 (exit 4), as `stack status nope`, not an empty list', async () => {
    const m = marker();
    const s = await up(() => `version: 1\nservices:\n  a:\n    command: sleep ${m}\n`);
    const unknown = await apiJson(s.dir, 'GET', '/v1/status?service=a&service=nope');
    expect([unknown.status, unknown.body.error?.exitCode, unknown.body.error?.message]).toEqual([404, 4, expect.stringContaining('no service named "nope"')]);
    const known = await apiJson(s.dir, 'GET', '/v1/status?service=a');
    expect(known.body.services.map((row: { name: string }) => row.name)).toEqual(['a']);
  });

  it('Ctrl+C during `stack start` through the controller interrupts the run there: exit 130, told as a run event, the controller serves on', async () => {
    const m = marker();
    const s = await up((dir) => slowStack(m, dir));
    const events = await apiStream(s.dir, 'GET', '/v1/events');
    await events.waitForLine((line) => line.type === 'following');
    const start = spawnCli(['start', 'slow', '-f', s.file]);
    await waitFor(async () => (await apiJson(s.dir, 'GET', '/v1/status?service=slow')).body.services[0].observed === 'starting', 10_000, 'slow to be starting');
    start.child.kill('SIGINT');
    const result = await start.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/interrupted/i);
    expect(result.stderr).not.toMatch(/internal error|does not answer/);
    expect(await events.waitForLine((line) => line.type === 'run' && line.exitCode !== undefined, 10_000, 'the run to end')).toMatchObject({ by: 'stack start', exitCode: 130 });
    events.close();
    expect(isAlive(s.pid)).toBe(true);
    expect((await apiJson(s.dir, 'GET', '/v1/status?service=a')).body.services[0].observed).toBe('running');
  });

  it('a tail of 100,000 short lines (~7 MB of NDJSON, written at once) reaches a client that reads it: `stack logs -n 100000` exits 0', async () => {
    const m = marker();
    const s = await up(() => `version: 1\nservices:\n  chatty:\n    command: [sh, -c, 'yes "" | head -c 200000; exec sleep ${m}']\n`);
    await waitFor(() => linesIn(join(s.dir, '.stack', 'logs', 'chatty.log')) === 200_001, 10_000, 'the whole log');
    const logs = await spawnCli(['logs', 'chatty', '-n', '100000', '--file', s.file]).done;
    expect(logs.stderr, logs.stderr).not.toMatch(/error/);
    // Of the log's 200,000 empty lines, the 100,000 asked for (`-n` reads back as far as they need).
    expect([logs.code, logs.stdout.split('\n').length - 1]).toEqual([0, 100_000]);
  });

  it('a saved plan that acts on a service it recorded nothing of (edited by hand) is refused as stale (409), and nothing is done', async () => {
    const m = marker();
    const s = await up(() => `version: 1\nservices:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const planned = await apiJson(s.dir, 'GET', '/v1/plan');
    expect(planned.body.actions).toEqual([]);
    const saved = planned.body.saved;
    saved.plan.actions = [{ service: 'b', op: 'stop', reason: 'edited in', symbol: '-', restart: false }];
    saved.plan.summary.stop = 1;
    const refused = await apiJson(s.dir, 'POST', '/v1/apply', { saved });
    expect([refused.status, refused.body.error?.exitCode, refused.body.error?.message]).toEqual([409, 1, expect.stringContaining('b')]);
    expect((await apiJson(s.dir, 'GET', '/v1/status?service=b')).body.services[0].observed).toBe('running');
  });
});

/** How many lines a file holds (0 when it does not exist). */
function linesIn(file: string): number {
  if (!statSync(file, { throwIfNoEntry: false })) return 0;
  let count = 0;
  for (const byte of readFileSync(file)) if (byte === 0x0a) count += 1;
  return count;
}
