import { open, readlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listGroupMembers } from '../../src/providers/process/group-members.js';
import { readProcStat } from '../../src/providers/process/proc-stat.js';
import { formatCommand, runCommand, SpawnError, spawnDetached } from '../../src/providers/runner.js';
import { GroupTracker, makeTempDir, removeDir, waitFor } from './helpers.js';

const groups = new GroupTracker();
let dir: string | undefined;
afterEach(async () => {
  await groups.killAll();
  await removeDir(dir);
});

async function openLog(file: string) {
  return open(file, 'a', 0o600);
}

describe('formatCommand', () => {
  it('shell-quotes what needs it', () => {
    expect(formatCommand(['/bin/sh', '-c', 'echo "hi" && sleep 1'])).toBe(`/bin/sh -c 'echo "hi" && sleep 1'`);
    expect(formatCommand(['nats-server', '-p', '4222'])).toBe('nats-server -p 4222');
  });
});

describe('spawnDetached', () => {
  it('starts a session and group leader whose output goes straight to the log file', async () => {
    dir = await makeTempDir();
    const logFile = path.join(dir, 'out.log');
    const handle = await openLog(logFile);
    const lines: string[] = [];
    const run = await spawnDetached(['sleep', '30'], { cwd: dir, env: {}, logFd: handle.fd, verbose: (line) => lines.push(line) });
    groups.track(run.pid);
    await handle.close();
    expect(lines).toEqual(['sleep 30']);
    const stat = await readProcStat(run.pid);
    expect(stat?.pgrp).toBe(run.pid);
    expect(stat?.session).toBe(run.pid);
    expect(await readlink(`/proc/${run.pid}/fd/1`)).toBe(logFile);
    expect(await readlink(`/proc/${run.pid}/fd/2`)).toBe(logFile);
    process.kill(-run.pid, 'SIGTERM');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('settles exited with the exit code, never rejecting', async () => {
    dir = await makeTempDir();
    const handle = await openLog(path.join(dir, 'out.log'));
    const run = await spawnDetached(['/bin/sh', '-c', 'exit 7'], { cwd: dir, env: {}, logFd: handle.fd });
    groups.track(run.pid);
    await handle.close();
    expect(await run.exited).toEqual({ code: 7, signal: null });
  });

  it('rejects with a SpawnError carrying the errno', async () => {
    dir = await makeTempDir();
    const handle = await openLog(path.join(dir, 'out.log'));
    const error = await spawnDetached(['no-such-binary-xyz'], { cwd: dir, env: {}, logFd: handle.fd }).catch((e: unknown) => e);
    await handle.close();
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).code).toBe('ENOENT');
  });

  it('rejects with a SpawnError for an errno that node throws at once (a cwd that is a file)', async () => {
    dir = await makeTempDir();
    const handle = await openLog(path.join(dir, 'out.log'));
    const error = await spawnDetached(['sleep', '30'], { cwd: path.join(dir, 'out.log'), env: {}, logFd: handle.fd }).catch((e: unknown) => e);
    await handle.close();
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as SpawnError).code).toBe('ENOTDIR');
  });
});

describe('runCommand', () => {
  it('captures output and the exit code, with the service env winning', async () => {
    process.env.STACK_RUNNER_TEST = 'outer';
    try {
      const result = await runCommand(['/bin/sh', '-c', 'echo "$STACK_RUNNER_TEST"; echo oops >&2; exit 4'], {
        env: { STACK_RUNNER_TEST: 'inner' },
      });
      expect(result).toEqual({ exitCode: 4, stdout: 'inner', stderr: 'oops', timedOut: false });
    } finally {
      delete process.env.STACK_RUNNER_TEST;
    }
  });

  it('kills the whole group on timeout, grandchildren included', async () => {
    const result = await runCommand(['/bin/sh', '-c', 'echo $$; sleep 30 & sleep 30'], { timeoutMs: 300 });
    expect(result.timedOut).toBe(true);
    const pgid = Number(result.stdout.trim());
    expect(pgid).toBeGreaterThan(1);
    await waitFor(async () => (await listGroupMembers(pgid)).length === 0, 3000, 'the probe group to be gone');
  });

  it('kills the group on abort', async () => {
    const controller = new AbortController();
    const pending = runCommand(['sleep', '30'], { signal: controller.signal });
    controller.abort();
    const result = await pending;
    expect(result.exitCode).toBeNull();
    expect(result.timedOut).toBe(false);
  });

  it('reports a program that cannot start', async () => {
    const result = await runCommand(['no-such-binary-xyz']);
    expect(result.spawnError).toBe('ENOENT');
    expect(result.exitCode).toBeNull();
  });
});
