import { mkdir, open, readdir, readFile, readlink, realpath, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listGroupMembers } from '../../src/os/group-members.js';
import { readProcStat } from '../../src/os/proc-stat.js';
import { nativeSpawner } from '../../src/os/native-spawn.js';
import { formatCommand, runCommand, SpawnError, spawnDetached, spawnThroughNode } from '../../src/os/runner.js';
import { GroupTracker, makeTempDir, removeDir, waitFor } from '../providers/helpers.js';

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

// Both ways of starting a service must set it up the same way: posix_spawn through the native
// addon (the default where it is built, as in CI) and node:child_process (the fallback).
const spawners = [
  ['posix_spawn (native addon)', spawnDetached],
  ['node:child_process', spawnThroughNode],
] as const;

/** This process's descriptors above stdio without close-on-exec: what any child inherits. */
function inheritedFds(): string[] {
  const O_CLOEXEC = 0o2000000;
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      const flags = /^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      return Number(fd) > 2 && flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0;
    } catch {
      return false; // closed meanwhile (the descriptor readdirSync used)
    }
  });
}

describe('the native spawner', () => {
  it('is built and used here: npm ci builds it, and CI must measure what users get', () => {
    expect(nativeSpawner(), 'native/build/Release/stack_spawn.node is missing: run `npm ci` (needs g++, make, python3)').toBeDefined();
  });

  // The fork path (user:), as root like tests/cli/user.test.ts: the two descriptors reach 1 and 2 there too.
  it('sends stdout and stderr apart for a service that runs as another user', async () => {
    dir = await makeTempDir();
    const out = await openLog(path.join(dir, 'out.log'));
    const err = await openLog(path.join(dir, 'err.log'));
    const run = await spawnDetached(['/bin/sh', '-c', 'id -u; id -u >&2'], {
      cwd: '/',
      env: {},
      output: { stdout: out.fd, stderr: err.fd },
      identity: { uid: 65534, gid: 65534, groups: [] },
    });
    groups.track(run.pid);
    await Promise.all([out.close(), err.close()]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect([await readFile(path.join(dir, 'out.log'), 'utf8'), await readFile(path.join(dir, 'err.log'), 'utf8')]).toEqual(['65534\n', '65534\n']);
  });
});

describe.each(spawners)('spawnDetached through %s', (_name, spawn) => {
  it('starts a session and group leader whose output goes straight to the log file', async () => {
    dir = await makeTempDir();
    const logFile = path.join(dir, 'out.log');
    const handle = await openLog(logFile);
    const lines: string[] = [];
    // What this process holds without close-on-exec just before the spawn, and just after.
    const inheritedBefore = inheritedFds();
    const run = await spawn(['sleep', '30'], { cwd: dir, env: {}, logFd: handle.fd, verbose: (line) => lines.push(line) });
    groups.track(run.pid);
    await handle.close();
    if (spawn === spawnDetached) expect(lines).toEqual(['# services start through posix_spawn (native addon)', 'sleep 30']);
    const stat = await readProcStat(run.pid);
    expect(stat?.pgrp).toBe(run.pid);
    expect(stat?.session).toBe(run.pid);
    expect(await readlink(`/proc/${run.pid}/fd/0`)).toBe('/dev/null');
    expect(await readlink(`/proc/${run.pid}/fd/1`)).toBe(logFile);
    expect(await readlink(`/proc/${run.pid}/fd/2`)).toBe(logFile);
    // Nothing of stack's own leaks into the service: beyond stdio it holds only what stack itself
    // inherited without close-on-exec (a test runner's pipe, say).
    const inherited = new Set([...inheritedBefore, ...inheritedFds()]);
    const leaked = (await readdir(`/proc/${run.pid}/fd`)).filter((fd) => Number(fd) > 2 && !inherited.has(fd));
    // Named by what they point at, so that a failure says what leaked. A descriptor gone by the
    // time it is read was the child's own, open for a moment (the dynamic loader reading libc
    // right after exec); one stack leaked would still be open.
    const named = await Promise.all(leaked.map(async (fd) => readlink(`/proc/${run.pid}/fd/${fd}`).then((target) => `${fd} → ${target}`, () => undefined)));
    expect(named.filter((entry) => entry !== undefined)).toEqual([]);
    process.kill(-run.pid, 'SIGTERM');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('sends stdout and stderr each to its own descriptor when given two', async () => {
    dir = await makeTempDir();
    const out = await openLog(path.join(dir, 'out.log'));
    const err = await openLog(path.join(dir, 'err.log'));
    const run = await spawn(['/bin/sh', '-c', 'echo to-stdout; echo to-stderr >&2'], { cwd: dir, env: {}, output: { stdout: out.fd, stderr: err.fd } });
    groups.track(run.pid);
    await Promise.all([out.close(), err.close()]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect([await readFile(path.join(dir, 'out.log'), 'utf8'), await readFile(path.join(dir, 'err.log'), 'utf8')]).toEqual(['to-stdout\n', 'to-stderr\n']);
  });

  it('settles exited with the exit code, never rejecting', async () => {
    dir = await makeTempDir();
    const handle = await openLog(path.join(dir, 'out.log'));
    const run = await spawn(['/bin/sh', '-c', 'exit 7'], { cwd: dir, env: {}, logFd: handle.fd });
    groups.track(run.pid);
    await handle.close();
    expect(await run.exited).toEqual({ code: 7, signal: null });
  });

  it('runs in its cwd with the caller environment under its own, every signal at its default', async () => {
    dir = await makeTempDir();
    const logFile = path.join(dir, 'out.log');
    const handle = await openLog(logFile);
    process.env.STACK_SPAWN_TEST_OUTER = 'outer';
    try {
      const script = 'pwd; echo "$STACK_SPAWN_TEST_OUTER $STACK_SPAWN_TEST_INNER"; grep -E "^Sig(Blk|Ign)" /proc/self/status; cat; echo to-stderr >&2';
      const run = await spawn(['/bin/sh', '-c', script], { cwd: dir, env: { STACK_SPAWN_TEST_INNER: 'inner' }, logFd: handle.fd });
      groups.track(run.pid);
      await handle.close();
      expect(await run.exited).toEqual({ code: 0, signal: null });
    } finally {
      delete process.env.STACK_SPAWN_TEST_OUTER;
    }
    const [cwd, env, blocked, ignored, ...rest] = (await readFile(logFile, 'utf8')).split('\n');
    expect([cwd, env, blocked, ...rest]).toEqual([await realpath(dir), 'outer inner', 'SigBlk:\t0000000000000000', 'to-stderr', '']);
    // Node ignores SIGPIPE and SIGXFSZ; an ignored signal survives exec and would break pipes in
    // the service. glibc's posix_spawn leaves its two internal signals (32, 33) ignored, and every
    // glibc program sets them again as it starts: those are the only ones allowed.
    const glibcInternal = (1n << 31n) | (1n << 32n);
    expect(BigInt(`0x${ignored?.split('\t')[1] ?? 'ff'}`) & ~glibcInternal).toBe(0n);
  });

  it('finds a bare program on the PATH the service is given', async () => {
    dir = await makeTempDir();
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    await writeFile(path.join(bin, 'hello-stack'), '#!/bin/sh\necho hello from "$0"\n', { mode: 0o755 });
    const logFile = path.join(dir, 'out.log');
    const handle = await openLog(logFile);
    const run = await spawn(['hello-stack'], { cwd: dir, env: { PATH: `/nonexistent:${bin}:/usr/bin:/bin` }, logFd: handle.fd });
    groups.track(run.pid);
    await handle.close();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(await readFile(logFile, 'utf8')).toBe(`hello from ${path.join(bin, 'hello-stack')}\n`);
  });

  it('runs a script without a #! line with /bin/sh, and names signals as node does', async () => {
    dir = await makeTempDir();
    const logFile = path.join(dir, 'out.log');
    const handle = await openLog(logFile);
    await writeFile(path.join(dir, 'plain-script'), 'echo "plain script ran with $1"\n', { mode: 0o755 });
    const script = await spawn([path.join(dir, 'plain-script'), 'one'], { cwd: dir, env: {}, logFd: handle.fd });
    groups.track(script.pid);
    expect(await script.exited).toEqual({ code: 0, signal: null });
    // SIGABRT, not its alias SIGIOT: the name goes into the state file and `status`.
    const aborted = await spawn(['/bin/sh', '-c', 'kill -ABRT $$'], { cwd: dir, env: {}, logFd: handle.fd });
    groups.track(aborted.pid);
    expect(await aborted.exited).toEqual({ code: null, signal: 'SIGABRT' });
    await handle.close();
    expect(await readFile(logFile, 'utf8')).toBe('plain script ran with one\n');
  });

  it('moves on along PATH past a program that cannot start, as execvp does', async () => {
    dir = await makeTempDir();
    const first = path.join(dir, 'first');
    const second = path.join(dir, 'second');
    await mkdir(first);
    await mkdir(second);
    await writeFile(path.join(first, 'pick-me'), '#!/nonexistent/interpreter\n', { mode: 0o755 });
    await writeFile(path.join(second, 'pick-me'), '#!/bin/sh\necho second\n', { mode: 0o755 });
    const logFile = path.join(dir, 'out.log');
    const handle = await openLog(logFile);
    const run = await spawn(['pick-me'], { cwd: dir, env: { PATH: `${first}:${second}` }, logFd: handle.fd });
    groups.track(run.pid);
    await handle.close();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(await readFile(logFile, 'utf8')).toBe('second\n');
  });

  it('rejects with a SpawnError carrying the errno', async () => {
    dir = await makeTempDir();
    const handle = await openLog(path.join(dir, 'out.log'));
    await writeFile(path.join(dir, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
    const errnoOf = (argv: string[], cwd = dir ?? '') =>
      spawn(argv, { cwd, env: {}, logFd: handle.fd }).then(
        (run) => `started ${run.pid}`,
        (error: unknown) => (error instanceof SpawnError ? error.code : String(error)),
      );
    expect(await errnoOf(['no-such-binary-xyz'])).toBe('ENOENT');
    expect(await errnoOf([path.join(dir, 'not-executable')])).toBe('EACCES');
    expect(await errnoOf(['sleep', '30'], path.join(dir, 'missing'))).toBe('ENOENT');
    // A cwd that is a file: an errno node throws at once instead of reporting it as an event.
    expect(await errnoOf(['sleep', '30'], path.join(dir, 'out.log'))).toBe('ENOTDIR');
    await handle.close();
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
