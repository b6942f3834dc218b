import { appendFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeCheck } from '../../src/model/desired.js';
import { describeNetworkError } from '../../src/providers/probe-checks.js';
import { describeCheck, formatDuration, runProbeOnce, waitForProbe, type CheckResult, type ProbeClock } from '../../src/providers/probes.js';
import type { ExitInfo, ProbeResult } from '../../src/model/provider.js';
import { freePort, makeTempDir, probe, removeDir } from './helpers.js';

/** A simulated clock: sleeping advances time at once. */
function fakeClock(): ProbeClock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const tcp: ProbeCheck = { kind: 'tcp', host: '127.0.0.1', port: 4222 };

describe('waitForProbe (simulated time)', () => {
  it('names the probe and the last error when time runs out', async () => {
    const clock = fakeClock();
    const reasons = ['connection refused', 'connection refused', 'timed out'];
    let attempts = 0;
    const runOnce = async (): Promise<ProbeResult> => ({ ok: false, reason: reasons[Math.min(attempts++, 2)]! });
    const result = await waitForProbe(probe(tcp, 10_000, 1000), { clock, runOnce });
    expect(result).toEqual({ ok: false, reason: 'tcp 127.0.0.1:4222: timed out after 10s' });
    expect(attempts).toBe(11);
    expect(clock.sleeps.every((ms) => ms === 1000)).toBe(true);
  });

  it('passes as soon as an attempt passes', async () => {
    const clock = fakeClock();
    let attempts = 0;
    const runOnce = async (): Promise<ProbeResult> =>
      ++attempts === 3 ? { ok: true } : { ok: false, reason: 'connection refused' };
    expect(await waitForProbe(probe(tcp, 10_000, 500), { clock, runOnce })).toEqual({ ok: true });
    expect(attempts).toBe(3);
    expect(clock.now()).toBe(1000);
  });

  it('stops early when the process exits', async () => {
    const clock = fakeClock();
    let exit!: (info: ExitInfo) => void;
    const until = new Promise<ExitInfo>((resolve) => (exit = resolve));
    let attempts = 0;
    const runOnce = async (): Promise<ProbeResult> => {
      if (++attempts === 2) exit({ code: 3, signal: null });
      return { ok: false, reason: 'connection refused' };
    };
    const result = await waitForProbe(probe(tcp, 10_000, 100), { clock, runOnce, until });
    expect(result).toEqual({ ok: false, reason: 'exited with code 3 during start', exit: { code: 3, signal: null } });
    expect(attempts).toBe(2);
  });

  it('says how a signalled process ended', async () => {
    const until = Promise.resolve({ code: null, signal: 'SIGKILL' });
    const runOnce = async (): Promise<ProbeResult> => ({ ok: false, reason: 'connection refused' });
    const result = await waitForProbe(probe(tcp), { clock: fakeClock(), runOnce, until });
    expect(result.ok === false && result.reason).toBe('was killed by SIGKILL during start');
  });

  it('stops at once on a final failure, naming the probe without a duration', async () => {
    const clock = fakeClock();
    let attempts = 0;
    const runOnce = async (): Promise<CheckResult> => {
      attempts++;
      return { ok: false, reason: 'command not found', final: true };
    };
    const exec: ProbeCheck = { kind: 'exec', argv: ['nosuchcmd-qa'] };
    const result = await waitForProbe(probe(exec, 2000, 100), { clock, runOnce });
    expect(result).toEqual({ ok: false, reason: 'exec nosuchcmd-qa: command not found' });
    expect(attempts).toBe(1);
    expect(clock.now()).toBe(0);
  });

  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const runOnce = async (): Promise<ProbeResult> => {
      controller.abort(new Error('interrupted'));
      return { ok: false, reason: 'connection refused' };
    };
    await expect(waitForProbe(probe(tcp), { clock: fakeClock(), runOnce, signal: controller.signal })).rejects.toThrow('interrupted');
  });
});

describe('describeNetworkError', () => {
  const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

  it('finds the code under fetch\'s TypeError, also among the errors of every address tried', () => {
    expect(describeNetworkError(new TypeError('fetch failed', { cause: errno('ECONNREFUSED', 'connect ECONNREFUSED') }))).toBe('connection refused');
    const everyAddress = new AggregateError([errno('ECONNREFUSED', 'connect ECONNREFUSED ::1:80'), errno('ECONNREFUSED', 'x')]);
    expect(describeNetworkError(new TypeError('fetch failed', { cause: everyAddress }))).toBe('connection refused');
    expect(describeNetworkError(new TypeError('fetch failed', { cause: errno('ENOTFOUND', 'getaddrinfo ENOTFOUND') }))).toBe('host not found');
  });

  it('quotes the innermost cause when there is no code', () => {
    expect(describeNetworkError(new TypeError('fetch failed', { cause: new Error('invalid method') }))).toBe('invalid method');
  });
});

describe('probe words', () => {
  it('formats durations the way stack.yaml writes them', () => {
    expect([formatDuration(300), formatDuration(10_000), formatDuration(1500), formatDuration(120_000)]).toEqual(['300ms', '10s', '1.5s', '2m']);
  });
  it('names checks', () => {
    expect(describeCheck(tcp)).toBe('tcp 127.0.0.1:4222');
    expect(describeCheck({ kind: 'log', pattern: 'ready' })).toBe('log /ready/');
  });
});

describe('runProbeOnce (real sockets and processes)', () => {
  let server: net.Server | http.Server | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    await removeDir(dir);
  });

  it('tcp: refused, then open', async () => {
    const port = await freePort();
    const check: ProbeCheck = { kind: 'tcp', host: '127.0.0.1', port };
    expect(await runProbeOnce(check, { timeoutMs: 1000 })).toEqual({ ok: false, reason: 'connection refused' });
    server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    expect(await runProbeOnce(check, { timeoutMs: 1000 })).toEqual({ ok: true });
  });

  it('http: 2xx and 3xx pass (redirects are not followed), 5xx fails', async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/redirect') response.writeHead(302, { location: 'http://127.0.0.1:1/nowhere' }).end();
      else if (request.url === '/bad') response.writeHead(500).end('no');
      else response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    expect(await runProbeOnce({ kind: 'http', url: `${base}/health` }, { timeoutMs: 1000 })).toEqual({ ok: true });
    expect(await runProbeOnce({ kind: 'http', url: `${base}/redirect` }, { timeoutMs: 1000 })).toEqual({ ok: true });
    expect(await runProbeOnce({ kind: 'http', url: `${base}/bad` }, { timeoutMs: 1000 })).toEqual({ ok: false, reason: 'status 500' });
    const closed = `http://127.0.0.1:${await freePort()}/`;
    expect(await runProbeOnce({ kind: 'http', url: closed }, { timeoutMs: 1000 })).toEqual({ ok: false, reason: 'connection refused' });
  });

  it('http: a failed fetch says why, not "fetch failed"', async () => {
    server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const closing = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
    expect(await runProbeOnce({ kind: 'http', url: closing }, { timeoutMs: 1000 })).toEqual({ ok: false, reason: 'connection closed by the server' });
    expect(await runProbeOnce({ kind: 'http', url: 'http://127.0.0.1:6000/' }, { timeoutMs: 1000 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^bad port: /),
    });
  });

  it('exec: exit 0 passes; a failure quotes its last line; a hang times out', async () => {
    expect(await runProbeOnce({ kind: 'exec', argv: ['/bin/sh', '-c', 'exit 0'] }, { timeoutMs: 2000 })).toEqual({ ok: true });
    expect(await runProbeOnce({ kind: 'exec', argv: ['/bin/sh', '-c', 'echo not yet >&2; exit 2'] }, { timeoutMs: 2000 })).toEqual({
      ok: false,
      reason: 'exited with code 2: not yet',
    });
    const started = performance.now();
    expect(await runProbeOnce({ kind: 'exec', argv: ['/bin/sh', '-c', 'sleep 30 & sleep 30'] }, { timeoutMs: 200 })).toEqual({
      ok: false,
      reason: 'timed out',
    });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('exec: a program that cannot run is a final failure, in words', async () => {
    dir = await makeTempDir();
    const notExecutable = path.join(dir, 'check.sh');
    await writeFile(notExecutable, 'exit 0\n', { mode: 0o644 });
    const missing = await runProbeOnce({ kind: 'exec', argv: ['no-such-probe-binary'] }, { timeoutMs: 1000, cwd: dir });
    expect(missing).toEqual({ ok: false, reason: 'command not found', final: true });
    const denied = await runProbeOnce({ kind: 'exec', argv: [notExecutable] }, { timeoutMs: 1000, cwd: dir });
    expect(denied).toEqual({ ok: false, reason: 'permission denied', final: true });
    const gone = path.join(dir, 'gone');
    expect(await runProbeOnce({ kind: 'exec', argv: ['true'] }, { timeoutMs: 1000, cwd: gone })).toEqual({
      ok: false,
      reason: `working directory "${gone}" does not exist`,
      final: true,
    });
  });

  it('exec: a missing program fails the wait at once, not after the timeout', async () => {
    const started = performance.now();
    const result = await waitForProbe(probe({ kind: 'exec', argv: ['nosuchcmd-qa'] }, 2000, 100));
    expect(result).toEqual({ ok: false, reason: 'exec nosuchcmd-qa: command not found' });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('log: only output after the offset counts', async () => {
    dir = await makeTempDir();
    const logFile = path.join(dir, 'web.log');
    await writeFile(logFile, 'server ready (previous run)\n');
    const logOffset = Buffer.byteLength('server ready (previous run)\n');
    const check: ProbeCheck = { kind: 'log', pattern: 'server ready' };
    expect((await runProbeOnce(check, { timeoutMs: 1000, logFile, logOffset })).ok).toBe(false);
    await appendFile(logFile, 'booting\nserver ready\n');
    expect(await runProbeOnce(check, { timeoutMs: 1000, logFile, logOffset })).toEqual({ ok: true });
    expect(await runProbeOnce({ kind: 'log', pattern: '(' }, { timeoutMs: 1000, logFile })).toMatchObject({ ok: false });
  });
});
