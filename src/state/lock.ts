import { constants } from 'node:fs';
import { link, rm, unlink } from 'node:fs/promises';
import { openOwnFile, readRegularFile, unsafeFileError } from '../os/safe-file.js';
import { ExitCode, StackError } from '../model/errors.js';
import { ensureStateDir } from './state-file.js';
import { dirname } from 'node:path';
import { isRunning, ownStartTicks } from '../os/proc-stat.js';
import { beginHold, endHold } from './holds.js';
import { escapeControls } from '../config/issues.js';
import { unwritableError } from './unwritable.js';
import { describeOwner, type LockOwner } from './lock-owner.js';

export { describeOwner, type LockOwner } from './lock-owner.js';


export interface HeldLock {
  owner: LockOwner;
  /** Set when the lock was taken over from a holder that had died. */
  tookOverFrom?: LockOwner;
  release(): Promise<void>;
}

export interface LockOptions {
  command: string;
  /** Wait for the holder to let go instead of failing (`--wait-lock`). */
  wait?: boolean;
  signal?: AbortSignal;
  pollMs?: number;
  /** Told once per holder while `wait` waits for it (terraform's "Acquiring state lock…"). */
  onWait?: (holder: LockOwner) => void;
}

/**
 * Takes `.stack/lock`: one applier at a time. The lock is created with link(2), which fails when
 * the file exists, so two stack processes can never both believe they hold it. A lock whose
 * owner is dead is taken over (and the caller says so).
 */
export async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  await ensureStateDir(dirname(file));
  const owner: LockOwner = {
    pid: process.pid,
    startTicks: ownStartTicks(),
    command: options.command,
    since: new Date().toISOString(),
  };
  let tookOverFrom: LockOwner | undefined;
  let waitingFor: number | undefined;
  for (;;) {
    if (await tryCreate(file, owner)) {
      beginHold(file);
      return { owner, tookOverFrom, release: () => releaseLock(file, owner) };
    }
    const holder = await readLockOwner(file);
    if (holder && isRunning(holder.pid, holder.startTicks)) {
      // A controller holds the lock for as long as it runs: waiting for it would never end.
      if (!options.wait || isController(holder)) throw lockedError(file, holder);
      if (waitingFor !== holder.pid) options.onWait?.(holder);
      waitingFor = holder.pid;
      await pause(options.pollMs ?? 100, options.signal);
      continue;
    }
    // Whoever saw the dead holder and then wins says so, even if a racer removed the file.
    if (holder) tookOverFrom = holder;
    await removeStale(file, holder);
  }
}

/** The current holder of the lock, if a live process holds it. */
export async function lockHolder(file: string): Promise<LockOwner | undefined> {
  const holder = await readLockOwner(file);
  return holder && isRunning(holder.pid, holder.startTicks) ? holder : undefined;
}

/** Commands that hold the lock for as long as they run: the reconcile loop. */
export const CONTROLLER_COMMANDS = ['stack watch', 'stack up'];

export function isController(owner: LockOwner): boolean {
  return CONTROLLER_COMMANDS.includes(owner.command);
}

function lockedError(file: string, holder: LockOwner): StackError {
  if (isController(holder)) {
    return new StackError(ExitCode.locked, `a controller is reconciling this stack: ${describeOwner(holder)}`, {
      hint: 'it applies every change to stack.yaml by itself; `stack restart <service>` goes through it, and `stack down` stops it (and the services)',
    });
  }
  return new StackError(ExitCode.locked, `another stack process holds the lock: ${describeOwner(holder)}`, {
    hint: `wait for it to finish, or pass --wait-lock to wait; the lock file is ${escapeControls(file)}`,
  });
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    // Created new (O_EXCL), so never written through a link of that name.
    const handle = await openOwnFile(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    try {
      await handle.writeFile(`${JSON.stringify(owner)}\n`);
    } finally {
      await handle.close();
    }
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw unwritableError(error, `take the lock ${file}`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

// A link or a FIFO named lock is refused: stack made neither, and reading one would follow it.
async function readLockOwner(file: string): Promise<LockOwner | undefined> {
  const read = await readRegularFile(file, { maxBytes: 64 * 1024, noFollow: true }).catch(() => undefined);
  if (read && !read.ok && read.reason === 'not-regular') throw unsafeFileError(file, read.what);
  try {
    const parsed = read?.ok ? (JSON.parse(read.bytes.toString('utf8')) as Partial<LockOwner>) : undefined;
    return typeof parsed?.pid === 'number' ? (parsed as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock under a short-lived guard lock, re-reading it first: two processes that
 * both saw the same dead owner must not remove each other's fresh lock.
 */
async function removeStale(file: string, seen: LockOwner | undefined): Promise<boolean> {
  const guard = `${file}.takeover`;
  const me: LockOwner = { pid: process.pid, startTicks: ownStartTicks(), command: 'takeover', since: new Date().toISOString() };
  if (!(await tryCreate(guard, me))) {
    const guardOwner = await readLockOwner(guard);
    if (!guardOwner || !isRunning(guardOwner.pid, guardOwner.startTicks)) await rm(guard, { force: true });
    return false;
  }
  try {
    const current = await readLockOwner(file);
    if (current?.pid !== seen?.pid || current?.since !== seen?.since) return false;
    await rm(file, { force: true });
    return true;
  } finally {
    await rm(guard, { force: true });
  }
}

async function releaseLock(file: string, owner: LockOwner): Promise<void> {
  endHold(file);
  const current = await readLockOwner(file);
  if (current?.pid === owner.pid && current.since === owner.since) await rm(file, { force: true });
}



function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
