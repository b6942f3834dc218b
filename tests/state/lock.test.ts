import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, StackError } from '../../src/model/errors.js';
import { readProcStatSync } from '../../src/os/proc-stat.js';
import { acquireLock, describeOwner, lockHolder, type HeldLock, type LockOwner } from '../../src/state/lock.js';
import { tempDirs, waitUntil } from './helpers.js';

const dirs = tempDirs('lock');
const children = new Set<ChildProcess>();
const held: HeldLock[] = [];

afterEach(async () => {
  await Promise.all(held.splice(0).map((lock) => lock.release()));
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  children.clear();
  await dirs.cleanup();
});

async function lockFile(): Promise<string> {
  return path.join(await dirs.make(), '.stack', 'lock');
}

async function take(file: string, command = 'apply', extra: { wait?: boolean; pollMs?: number; signal?: AbortSignal } = {}): Promise<HeldLock> {
  const lock = await acquireLock(file, { command, ...extra });
  held.push(lock);
  return lock;
}

async function readOwner(file: string): Promise<LockOwner> {
  return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
}

async function writeOwner(file: string, owner: LockOwner): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(owner)}\n`);
}

async function lockError(promise: Promise<unknown>): Promise<StackError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StackError);
  return error as StackError;
}

/** A pid that was a process a moment ago and is now gone (exited and reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  const pid = child.pid as number;
  await waitUntil(() => readProcStatSync(pid) === undefined, `pid ${pid} to leave /proc`);
  return pid;
}

/** A live process that is not this one. */
async function liveChild(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.add(child);
  await once(child, 'spawn');
  const pid = child.pid as number;
  await waitUntil(() => readProcStatSync(pid), `pid ${pid} to appear in /proc`);
  return child as ChildProcess & { pid: number };
}

describe('acquireLock', () => {
  it('writes our pid, start time and command into the lock file, in a 0700 .stack', async () => {
    const file = await lockFile();
    const lock = await take(file, 'apply');
    const owner = await readOwner(file);
    expect(owner.pid).toBe(process.pid);
    expect(owner.command).toBe('apply');
    expect(owner.startTicks).toBe(readProcStatSync(process.pid)?.startTicks);
    expect(Number.isNaN(Date.parse(owner.since))).toBe(false);
    expect(owner).toEqual(lock.owner);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    // No link temp files are left beside it.
    expect(await readdir(path.dirname(file))).toEqual(['lock']);
  });

  it('a second acquire while held fails with exit code 7, naming the holder pid and the lock file', async () => {
    const file = await lockFile();
    const first = await take(file, 'apply');
    const error = await lockError(acquireLock(file, { command: 'down' }));
    expect(error.code).toBe(ExitCode.locked);
    expect(error.code).toBe(7);
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain(describeOwner(first.owner));
    expect(error.hint).toContain(file);
    // The failed attempt did not disturb the holder.
    expect(await readOwner(file)).toEqual(first.owner);
  });

  it('a lock held by another live process fails with code 7 naming that pid', async () => {
    const file = await lockFile();
    const child = await liveChild();
    const owner: LockOwner = { pid: child.pid, startTicks: readProcStatSync(child.pid)?.startTicks, command: 'apply', since: new Date().toISOString() };
    await writeOwner(file, owner);
    const error = await lockError(acquireLock(file, { command: 'apply' }));
    expect(error.code).toBe(ExitCode.locked);
    expect(error.message).toContain(`pid ${child.pid}`);
    expect(await readOwner(file)).toEqual(owner);
  });

  it('release removes the lock file, and then the lock can be taken again', async () => {
    const file = await lockFile();
    const lock = await acquireLock(file, { command: 'apply' });
    await lock.release();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release();
    const again = await take(file, 'apply');
    expect((await readOwner(file)).since).toBe(again.owner.since);
  });

  it('release leaves alone a lock that someone else holds now', async () => {
    const file = await lockFile();
    const lock = await acquireLock(file, { command: 'apply' });
    const other: LockOwner = { pid: 1, command: 'apply', since: '2001-01-01T00:00:00.000Z' };
    await writeOwner(file, other);
    await lock.release();
    expect(await readOwner(file)).toEqual(other);
  });

  it('takes over a lock whose owner pid is dead, and says so', async () => {
    const file = await lockFile();
    const dead: LockOwner = { pid: await deadPid(), command: 'apply', since: '2020-01-01T00:00:00.000Z' };
    await writeOwner(file, dead);
    const lock = await take(file, 'plan');
    expect(lock.tookOverFrom).toEqual(dead);
    expect(await readOwner(file)).toEqual(lock.owner);
    expect((await readOwner(file)).pid).toBe(process.pid);
    expect(await readdir(path.dirname(file))).toEqual(['lock']);
  });

  it('takes over a lock whose pid is alive but was recycled (different start time)', async () => {
    const file = await lockFile();
    const child = await liveChild();
    const ticks = readProcStatSync(child.pid)?.startTicks as number;
    const recycled: LockOwner = { pid: child.pid, startTicks: ticks - 1, command: 'apply', since: '2020-01-01T00:00:00.000Z' };
    await writeOwner(file, recycled);
    const lock = await take(file, 'apply');
    expect(lock.tookOverFrom).toEqual(recycled);
    expect((await readOwner(file)).pid).toBe(process.pid);
    // The unrelated process that now has that pid is left running.
    expect(child.exitCode).toBeNull();
    expect(readProcStatSync(child.pid)?.startTicks).toBe(ticks);
  });

  it('takes over a lock file that holds no owner (garbage)', async () => {
    const file = await lockFile();
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, 'not json');
    const lock = await take(file, 'apply');
    expect((await readOwner(file)).since).toBe(lock.owner.since);
  });

  it('a lock whose holder was killed is taken over', async () => {
    const file = await lockFile();
    const child = await liveChild();
    await writeOwner(file, { pid: child.pid, startTicks: readProcStatSync(child.pid)?.startTicks, command: 'apply', since: new Date().toISOString() });
    await lockError(acquireLock(file, { command: 'apply' }));
    child.kill('SIGKILL');
    await once(child, 'exit');
    const lock = await take(file, 'apply');
    expect(lock.tookOverFrom?.pid).toBe(child.pid);
  });

  it('with wait: true, waits until the holder releases, then holds it', async () => {
    const file = await lockFile();
    const first = await acquireLock(file, { command: 'apply' });
    let released = false;
    const timer = setTimeout(() => {
      released = true;
      void first.release();
    }, 150);
    try {
      const second = await take(file, 'down', { wait: true, pollMs: 10 });
      expect(released).toBe(true);
      expect(second.tookOverFrom).toBeUndefined();
      expect(await readOwner(file)).toEqual(second.owner);
      expect(second.owner.command).toBe('down');
    } finally {
      clearTimeout(timer);
    }
  });

  it('with wait: true, an abort stops the waiting and leaves the holder in place', async () => {
    const file = await lockFile();
    const first = await take(file, 'apply');
    const controller = new AbortController();
    const waiting = acquireLock(file, { command: 'down', wait: true, pollMs: 10, signal: controller.signal });
    const reason = new Error('user pressed Ctrl+C');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(await readOwner(file)).toEqual(first.owner);
  });

  it('of many concurrent acquires on a fresh file exactly one wins; the rest fail with code 7', async () => {
    const file = await lockFile();
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => acquireLock(file, { command: `apply-${index}` })));
    const winners = attempts.filter((attempt): attempt is PromiseFulfilledResult<HeldLock> => attempt.status === 'fulfilled');
    held.push(...winners.map((attempt) => attempt.value));
    expect(winners).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === 'rejected') expect(attempt.reason).toMatchObject({ code: ExitCode.locked });
    }
    expect(await readOwner(file)).toEqual(winners[0]?.value.owner);
  });

  it('of many concurrent acquires over a dead owner exactly one wins', async () => {
    const file = await lockFile();
    await writeOwner(file, { pid: await deadPid(), command: 'apply', since: '2020-01-01T00:00:00.000Z' });
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => acquireLock(file, { command: `apply-${index}` })));
    const winners = attempts.filter((attempt): attempt is PromiseFulfilledResult<HeldLock> => attempt.status === 'fulfilled');
    held.push(...winners.map((attempt) => attempt.value));
    expect(winners).toHaveLength(1);
    expect(await readOwner(file)).toEqual(winners[0]?.value.owner);
    expect((await readdir(path.dirname(file))).sort()).toEqual(['lock']);
  });
});

describe('lockHolder', () => {
  it('is undefined when there is no lock file', async () => {
    expect(await lockHolder(await lockFile())).toBeUndefined();
  });

  it('returns the live holder, and undefined after release', async () => {
    const file = await lockFile();
    const lock = await acquireLock(file, { command: 'apply' });
    expect(await lockHolder(file)).toEqual(lock.owner);
    await lock.release();
    expect(await lockHolder(file)).toBeUndefined();
  });

  it('returns another live process that holds it', async () => {
    const file = await lockFile();
    const child = await liveChild();
    const owner: LockOwner = { pid: child.pid, startTicks: readProcStatSync(child.pid)?.startTicks, command: 'watch', since: new Date().toISOString() };
    await writeOwner(file, owner);
    expect(await lockHolder(file)).toEqual(owner);
  });

  it('is undefined for a dead or recycled owner', async () => {
    const file = await lockFile();
    await writeOwner(file, { pid: await deadPid(), command: 'apply', since: new Date().toISOString() });
    expect(await lockHolder(file)).toBeUndefined();
    const ticks = readProcStatSync(process.pid)?.startTicks as number;
    await writeOwner(file, { pid: process.pid, startTicks: ticks + 1, command: 'apply', since: new Date().toISOString() });
    expect(await lockHolder(file)).toBeUndefined();
  });
});
