import { appendFile, chmod, readFile, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { parseLogLine } from '../../src/model/log-line.js';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppliedService } from '../../src/model/observed.js';
import { ensureLogsDir, logFileOf } from '../../src/providers/process/logs.js';
import { listGroupMembers, scanProcStats } from '../../src/os/group-members.js';
import { readProcStat } from '../../src/os/proc-stat.js';
import { createProcessProvider } from '../../src/providers/process/process-provider.js';
import { spareRelayPid } from '../../src/providers/process/start.js';
import { realClock } from '../../src/providers/probes.js';
import { spawnDetached } from '../../src/os/runner.js';
import { OperationError, type OperationContext, type StartedService } from '../../src/model/provider.js';
import { freePort, GroupTracker, isAlive, makeContext, makeService, makeTempDir, probe, removeDir, waitFor } from './helpers.js';

const groups = new GroupTracker();
const provider = createProcessProvider();
let root: string;
let ctx: OperationContext;

beforeEach(async () => {
  root = await makeTempDir();
  ctx = makeContext(root);
});
afterEach(async () => {
  await groups.killAll();
  await removeDir(root);
});

function appliedOf(started: StartedService, extra: Partial<AppliedService> = {}): AppliedService {
  return {
    provider: 'process',
    specHash: 'h',
    installHash: 'i',
    fields: {},
    restarts: 0,
    pid: started.pid,
    pgid: started.pgid,
    startTicks: started.startTicks,
    startedAt: started.startedAt,
    ...extra,
  };
}

async function start(argv: string[], overrides: Parameters<typeof makeService>[2] = {}) {
  const service = makeService(root, argv, overrides);
  const started = await provider.start(service, ctx);
  groups.track(started.pgid);
  return { service, started };
}

const readLog = () => readFile(logFileOf(ctx.stateDir, 'web'), 'utf8');
/** The log's lines without their frames (log-line.ts). */
const readLogTexts = async () => (await readLog()).split('\n').slice(0, -1).map((raw) => parseLogLine(raw).text);

describe('process provider: observe', () => {
  it('says absent with no record, stopped with no pid, crashed after a failed run', async () => {
    expect((await provider.observe('web', undefined, undefined, ctx)).phase).toBe('absent');
    const idle: AppliedService = { provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0 };
    expect((await provider.observe('web', undefined, idle, ctx)).phase).toBe('stopped');
    const crashed = await provider.observe('web', undefined, { ...idle, restarts: 2, lastExit: { code: 3, signal: null, at: 'x' } }, ctx);
    expect(crashed).toMatchObject({ phase: 'crashed', detail: 'exited with code 3', restarts: 2, exit: { code: 3, signal: null } });
    expect(await provider.observe('web', undefined, { ...idle, lastExit: { code: 0, signal: null, at: 'x', reason: 'exited' } }, ctx)).toEqual({ name: 'web', restarts: 0, phase: 'stopped', exit: { code: 0, signal: null } });
    const unseen = { ...idle, lastExit: { code: null, signal: null, at: 'x', reason: 'pid 7 is gone' } };
    expect(await provider.observe('web', undefined, unseen, ctx)).toMatchObject({ phase: 'stopped', exit: { code: null, signal: null }, detail: 'pid 7 is gone' });
    const stoppedByUs = { ...idle, stoppedByUs: true, lastExit: { code: null, signal: 'SIGTERM', at: 'x' } };
    expect((await provider.observe('web', undefined, stoppedByUs, ctx)).phase).toBe('stopped');
  });

  it('never takes a recycled pid for ours', async () => {
    const own = await readProcStat(process.pid);
    const applied: AppliedService = {
      provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0,
      pid: process.pid, pgid: process.pid, startTicks: own!.startTicks + 1,
    };
    expect(await provider.observe('web', undefined, applied, ctx)).toMatchObject({
      phase: 'crashed',
      detail: `pid ${process.pid} now belongs to another process`,
    });
  });
});

describe('process provider: observe, again and again (as a controller polls adopted runs)', () => {
  it('sees a run that ended at once, and a dead leader no one reaps (a zombie) within seconds', async () => {
    // The run leads a session of its own; its parent, outside it, execs a sleep that never waits,
    // so the run, once killed, stays a zombie.
    const { started: parent } = await start(['sh', '-c', 'setsid sleep 61 & exec sleep 60']);
    const childOf = async () => (await scanProcStats()).find((stat) => stat.ppid === parent.pid && stat.session === stat.pid);
    const child = await waitFor(childOf, 5000, 'the run in a session of its own');
    groups.track(child.pid);
    const applied = appliedOf(parent, { pid: child.pid, pgid: child.pid, startTicks: child.startTicks });
    expect((await provider.observe('web', undefined, applied, ctx)).phase).toBe('running');
    process.kill(child.pid, 'SIGKILL');
    await waitFor(async () => (await readProcStat(child.pid))?.state === 'Z', 5000, 'the run a zombie');
    await waitFor(async () => (await provider.observe('web', undefined, applied, ctx)).phase === 'stopped', 10_000, 'the zombie seen as ended');

    const { started: other } = await start(['sleep', '60']);
    const run = appliedOf(other);
    expect((await provider.observe('web', undefined, run, ctx)).phase).toBe('running');
    process.kill(-other.pgid!, 'SIGKILL');
    await waitFor(async () => (await readProcStat(other.pid!)) === undefined, 5000, 'the run reaped');
    expect((await provider.observe('web', undefined, run, ctx)).phase).toBe('stopped');
  });
});

describe('process provider: start, observe, stop', () => {
  it('starts sleep, observes it running with its pid, stops the group', async () => {
    const { service, started } = await start(['sleep', '30']);
    expect(started.pgid).toBe(started.pid);
    const applied = appliedOf(started);
    const running = await provider.observe('web', service, applied, ctx);
    expect(running).toMatchObject({ phase: 'running', pid: started.pid, since: started.startedAt, health: 'none' });

    const exit = await provider.stop('web', applied, { signal: 'SIGTERM', timeoutMs: 3000 }, ctx);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await listGroupMembers(started.pgid!)).toEqual([]);
    // Ended with no stack process as its parent (the provider here saw it, the record does not say): how is not known.
    const after = await provider.observe('web', service, applied, ctx);
    expect(after).toMatchObject({ phase: 'stopped', exit: { code: null, signal: null } });
    expect(after.detail).toContain(`pid ${started.pid} is gone; its exit code is unknown`);
    expect((await provider.observe('web', service, { ...applied, pid: undefined, stoppedByUs: true }, ctx)).phase).toBe('stopped');
  });

  it('leaves no survivor of a group whose leader forked grandchildren', async () => {
    const { started } = await start(['/bin/sh', '-c', 'sleep 60 & sleep 60 & wait']);
    const members = await waitFor(async () => {
      const list = await listGroupMembers(started.pgid!);
      return list.length >= 3 ? list : undefined;
    }, 5000, 'the grandchildren');
    await provider.stop('web', appliedOf(started), { signal: 'SIGTERM', timeoutMs: 3000 }, ctx);
    expect(await listGroupMembers(started.pgid!)).toEqual([]);
    for (const member of members) expect(await isAlive(member.pid)).toBe(false);
  });

  it('SIGKILLs a group that ignores SIGTERM once the stop timeout passes', async () => {
    const { started } = await start(['/bin/sh', '-c', 'trap "" TERM; sleep 60 & wait; sleep 60']);
    await waitFor(async () => (await listGroupMembers(started.pgid!)).length >= 2, 5000, 'the sleep');
    const began = performance.now();
    const exit = await provider.stop('web', appliedOf(started), { signal: 'SIGTERM', timeoutMs: 300 }, ctx);
    expect(performance.now() - began).toBeGreaterThanOrEqual(290);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await listGroupMembers(started.pgid!)).toEqual([]);
  });

  it('stops what a dead leader left behind in its group', async () => {
    const { started } = await start(['/bin/sh', '-c', 'sleep 60 & echo forked']);
    await started.exited;
    const orphans = await waitFor(async () => {
      const list = await listGroupMembers(started.pgid!);
      return list.length >= 1 ? list : undefined;
    }, 5000, 'the orphan');
    // The service still runs through what its leader left: starting it again would make two.
    const observed = await provider.observe('web', undefined, appliedOf(started), ctx);
    expect(observed.phase).toBe('running');
    expect(observed.detail).toMatch(/leader pid \d+ exited; 1 process\(es\) of its group still run/);
    await provider.stop('web', appliedOf(started), { signal: 'SIGTERM', timeoutMs: 3000 }, ctx);
    expect(await listGroupMembers(started.pgid!)).toEqual([]);
    for (const orphan of orphans) expect(await isAlive(orphan.pid)).toBe(false);
  });

  it('does not signal a pid whose start ticks differ', async () => {
    const handle = await import('node:fs/promises').then((fs) => fs.open(path.join(root, 'other.log'), 'a'));
    const other = await spawnDetached(['sleep', '30'], { cwd: root, env: {}, logFd: handle.fd });
    groups.track(other.pid);
    await handle.close();
    const stat = await readProcStat(other.pid);
    const lines: string[] = [];
    const applied: AppliedService = {
      provider: 'process', specHash: 'h', installHash: 'i', fields: {}, restarts: 0,
      pid: other.pid, pgid: other.pid, startTicks: stat!.startTicks - 1,
    };
    const exit = await provider.stop('web', applied, { signal: 'SIGTERM', timeoutMs: 300 }, makeContext(root, (line) => lines.push(line)));
    expect(exit).toBeUndefined();
    expect(lines).toEqual([]);
    expect(await isAlive(other.pid)).toBe(true);
  });

  it('stop of a run that already ended signals nothing', async () => {
    const { started } = await start(['/bin/sh', '-c', 'exit 0']);
    await started.exited;
    const lines: string[] = [];
    await provider.stop('web', appliedOf(started), { signal: 'SIGTERM', timeoutMs: 300 }, makeContext(root, (line) => lines.push(line)));
    expect(lines).toEqual([]);
  });

  it('prints each command once under --verbose, after saying once how services start', async () => {
    const lines: string[] = [];
    const verbose = (line: string) => lines.push(line);
    const service = makeService(root, ['/bin/sh', '-c', 'sleep 30']);
    const started = await provider.start(service, makeContext(root, verbose));
    groups.track(started.pgid);
    const again = await provider.start({ ...service, name: 'web2' }, makeContext(root, verbose));
    groups.track(again.pgid);
    expect(lines).toEqual(['# their output is framed by stack-log-relay (native)', '# services start through posix_spawn (native addon)', `/bin/sh -c 'sleep 30'`, `/bin/sh -c 'sleep 30'`]);
  });
});

describe('process provider: start failures', () => {
  it('names an executable missing from PATH', async () => {
    const error = await start(['nats-server-missing-xyz', '-p', '4222']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).message).toBe('web: executable "nats-server-missing-xyz" not found on PATH');
  });

  it('names a program it may not run', async () => {
    const script = path.join(root, 'not-executable.sh');
    await writeFile(script, '#!/bin/sh\necho hi\n');
    await chmod(script, 0o644);
    const error = await start([script]).catch((e: unknown) => e);
    expect((error as OperationError).message).toBe(`web: permission denied running "${script}"`);
  });

  it('names a working directory that does not exist', async () => {
    const cwd = path.join(root, 'nope');
    const error = await start(['sleep', '1'], { cwd }).catch((e: unknown) => e);
    expect((error as OperationError).message).toBe(`web: working directory "${cwd}" does not exist`);
  });
});

describe('process provider: readiness', () => {
  it('fails with the exit code and the log when the process exits during start', async () => {
    const port = await freePort();
    const { service, started } = await start(['/bin/sh', '-c', 'echo boom; exit 3'], {
      ready: probe({ kind: 'tcp', host: '127.0.0.1', port }, 10_000, 50),
    });
    const began = performance.now();
    const error = (await provider.waitReady!(service, started, ctx).catch((e: unknown) => e)) as OperationError;
    expect(error).toBeInstanceOf(OperationError);
    expect(error.message).toContain('exited with code 3 during start');
    expect(error.message).toContain(`tcp 127.0.0.1:${port}`);
    expect(error.message).toContain('boom');
    expect(error.exitCode).toBe(3);
    expect(error.logTail).toEqual(['boom']);
    expect(performance.now() - began).toBeLessThan(5000);
  });

  it('passes a tcp probe once the server listens', async () => {
    const port = await freePort();
    const server = `setTimeout(() => require('net').createServer(s => s.end()).listen(${port}, '127.0.0.1'), 200)`;
    const { service, started } = await start([process.execPath, '-e', server], {
      ready: probe({ kind: 'tcp', host: '127.0.0.1', port }, 10_000, 50),
    });
    await provider.waitReady!(service, started, ctx);
    // Observing reports the recorded result and probes only when asked to.
    expect((await provider.observe('web', service, appliedOf(started), ctx)).health).toBeUndefined();
    expect(await provider.observe('web', service, appliedOf(started), { ...ctx, probe: true })).toMatchObject({ health: 'ready', probe: { kind: 'ready', ok: true } });
  });

  it('passes an http probe', async () => {
    const port = await freePort();
    const server = `require('http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1')`;
    const { service, started } = await start([process.execPath, '-e', server], {
      ready: probe({ kind: 'http', url: `http://127.0.0.1:${port}/health` }, 10_000, 50),
    });
    await provider.waitReady!(service, started, ctx);
  });

  it('passes an exec probe run in the service cwd', async () => {
    const { service, started } = await start(['/bin/sh', '-c', 'sleep 0.2; touch ready-flag; sleep 30'], {
      ready: probe({ kind: 'exec', argv: ['test', '-f', 'ready-flag'] }, 10_000, 50),
    });
    await provider.waitReady!(service, started, ctx);
  });

  it('reports a probe that never passes, naming it and its last error', async () => {
    const port = await freePort();
    const { service, started } = await start(['sleep', '30'], {
      ready: probe({ kind: 'tcp', host: '127.0.0.1', port }, 300, 50),
    });
    const error = (await provider.waitReady!(service, started, ctx).catch((e: unknown) => e)) as OperationError;
    expect(error.message).toBe(`web: not ready: tcp 127.0.0.1:${port}: connection refused after 300ms`);
    await provider.stopStarted(service.name, started, service.stop, ctx);
    expect(await listGroupMembers(started.pgid!)).toEqual([]);
  });

  it('matches a log probe only against output after this start', async () => {
    // Counts failed attempts (each is followed by a sleep) so the test waits on a condition.
    let sleeps = 0;
    const counting = createProcessProvider({
      clock: { now: realClock.now, sleep: (ms, signal) => ((sleeps += 1), realClock.sleep(ms, signal)) },
    });
    await ensureLogsDir(ctx.stateDir);
    await writeFile(logFileOf(ctx.stateDir, 'web'), 'listening (old run)\n');
    const service = makeService(root, ['/bin/sh', '-c', 'echo booting; sleep 30'], {
      ready: probe({ kind: 'log', pattern: 'listening' }, 10_000, 20),
    });
    const started = await counting.start(service, ctx);
    groups.track(started.pgid);
    expect(started.logOffset).toBe(Buffer.byteLength('listening (old run)\n'));
    await waitFor(async () => (await readLog()).includes('booting'), 5000, 'booting');
    let settled = false;
    const pending = counting.waitReady!(service, started, ctx).finally(() => (settled = true));
    const before = sleeps;
    await waitFor(() => sleeps >= before + 3, 5000, 'three failed attempts');
    expect(settled).toBe(false);
    await appendFile(logFileOf(ctx.stateDir, 'web'), 'listening\n');
    await pending;
  });
});

describe('process provider: environment and output', () => {
  it('lets the service env win over the inherited env, honours cwd, appends stdout and stderr', async () => {
    const cwd = path.join(root, 'sub');
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd));
    process.env.STACK_T_A = 'outer';
    process.env.STACK_T_B = 'inherited';
    try {
      await ensureLogsDir(ctx.stateDir);
      await writeFile(logFileOf(ctx.stateDir, 'web'), 'earlier\n');
      const { started } = await start(['/bin/sh', '-c', 'echo "A=$STACK_T_A B=$STACK_T_B"; pwd; echo to-stderr >&2'], {
        env: { STACK_T_A: 'inner' },
        cwd,
      });
      expect(await started.exited).toMatchObject({ code: 0, signal: null });
      // The relay writes what the service printed a moment after it exits: wait for all of it.
      const texts = await waitFor(async () => {
        const now = await readLogTexts();
        return now.length === 5 ? now : undefined;
      }, 5000, 'the relay to write every line');
      // stdout and stderr come through two pipes: each in its order, the two side by side.
      expect(texts.slice(0, 2)).toEqual(['earlier', `── web started ──`]);
      expect(texts.filter((text) => text !== 'to-stderr').slice(2)).toEqual(['A=inner B=inherited', cwd]);
      expect(texts).toContain('to-stderr');
    } finally {
      delete process.env.STACK_T_A;
      delete process.env.STACK_T_B;
    }
  });
});

/** The log relays (stack-log-relay) holding `log` open. */
function relaysOf(log: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'stack-log-relay') continue;
      if (readdirSync(`/proc/${entry}/fd`).some((fd) => readlinkSync(`/proc/${entry}/fd/${fd}`) === log)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

describe('process provider: restarts', () => {
  it('a service started again by the same process gets its next relay started ahead, loses no line through it, and lets it go when stopped', async () => {
    const log = logFileOf(ctx.stateDir, 'web');
    const argv = ['sh', '-c', 'seq 1 3; echo oops >&2'];
    const run = async () => {
      const { started } = await start(argv);
      await started.exited;
    };
    await run();
    await run();
    // Restarted: a spare relay waits, started after the run (not before it), on pipes only this process holds.
    const spare = await waitFor(() => spareRelayPid(log), 5000, 'a spare relay');
    // Its exec may still be setting its name: posix_spawn returns once the child let go of stack's
    // memory, a moment before the kernel renames it (seen: `node` in /proc/<pid>/comm, then the relay's).
    await waitFor(() => relaysOf(log).includes(spare as number), 5000, 'the spare relay, named and holding the log');
    const { service, started } = await start(argv);
    expect(spareRelayPid(log)).toBeUndefined();
    await started.exited;
    // The third run went through the spare: every line of the three runs, in order; the spare ends with its run.
    await waitFor(async () => !(await isAlive(spare)), 5000, 'the spare, used, to end with its run');
    const texts = (await readLogTexts()).filter((text) => !text.startsWith('──'));
    expect(texts).toEqual(['1', '2', '3', 'oops', '1', '2', '3', 'oops', '1', '2', '3', 'oops']);
    // The next spare, for a fourth run, is let go by a stop, and ends.
    const next = await waitFor(() => spareRelayPid(log), 5000, 'the next spare');
    await provider.stop('web', appliedOf(started), service.stop, ctx);
    expect(spareRelayPid(log)).toBeUndefined();
    await waitFor(async () => !(await isAlive(next)), 5000, 'the next spare to end');
    expect(relaysOf(log)).toEqual([]);
  });
});
