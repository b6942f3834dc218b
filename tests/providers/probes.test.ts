import { appendFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProbeCheck } from '../../src/config/types.js';
import { describeCheck, formatDuration, runProbeOnce, waitForProbe, type ProbeClock } from '../../src/providers/probes.js';
import type { ExitInfo, ProbeResult } from '../../src/providers/types.js';
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

  it('rejects with the abort reason', async () => {
    const controller = new AbortController();
    const runOnce = async (): Promise<ProbeResult> => {
      controller.abort(new Error('interrupted'));
      return { ok: false, reason: 'connection refused' };
    };
    await expect(waitForProbe(probe(tcp), { clock: fakeClock(), runOnce, signal: controller.signal })).rejects.toThrow('interrupted');
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
    expect((await runProbeOnce({ kind: 'exec', argv: ['no-such-probe-binary'] }, { timeoutMs: 1000 })).ok).toBe(false);
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
