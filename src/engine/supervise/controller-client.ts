import { ExitCode, StackError } from '../../model/errors.js';
import { monotonicMs } from '../../os/monotonic.js';
import { signalProcess } from '../../os/signal.js';
import { isController, lockHolder, type LockOwner } from '../../state/lock.js';
import { submitRequest, type ControllerRequest, type ControllerResponse } from './requests.js';
import { controllerRuns, guardStoppedController } from './stopped-controller.js';

/*
 * The other side of a running controller (`stack watch`, `stack up`): what `down` and `restart`
 * do when one holds the lock. It is found through the lock, asked through `.stack/requests/` or
 * told to end with SIGTERM, and watched while it answers: a controller stopped by SIGSTOP or
 * Ctrl+Z is continued, and killed once it has had its stop timeout (stopped-controller.ts).
 */

export interface ControllerClientOptions {
  /** How long a stopped controller, once continued, may take: `longestStopTimeout` of the stack. */
  stopTimeoutMs: number;
  /** What people should know while it waits (the controller was found stopped, was killed). */
  say: (line: string) => void;
  /** Between two looks at the lock. */
  pollMs?: number;
}

/** The controller holding the lock at `lockFile`, if one runs (another holder is not one). */
export async function findController(lockFile: string): Promise<LockOwner | undefined> {
  const holder = await lockHolder(lockFile);
  return holder && isController(holder) ? holder : undefined;
}

const STOP_DEADLINE_MS = 120_000;
/** How long after it let go of the lock a controller's process may take to end before `down` goes on. */
const EXIT_WAIT_MS = 5000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `holder` still holds the lock (a killed holder's lock is taken over once it is gone). */
async function stillHolds(lockFile: string, holder: LockOwner): Promise<boolean> {
  return (await lockHolder(lockFile))?.pid === holder.pid;
}

/**
 * Ends the controller `holder` (SIGTERM: it stops what it must as it ends) and resolves once it
 * has let go of the lock and its process has ended (up to 5 s after the lock). Throws a StackError (exit 7, locked) when it is another user's, or when it
 * still runs 2 minutes after it was asked (a stopped one is killed before that).
 */
export async function stopController(lockFile: string, holder: LockOwner, options: ControllerClientOptions & { asked?: boolean }): Promise<void> {
  // Asked already (its API's POST /v1/stop): only waited for, and watched in case it stops.
  if (!options.asked && signalProcess(holder.pid, 'SIGTERM') === 'denied') {
    throw new StackError(ExitCode.locked, `the controller (pid ${holder.pid}) belongs to another user; stop it there`);
  }
  const guard = guardStoppedController(holder, { stopTimeoutMs: options.stopTimeoutMs, waitingFor: 'exit', say: options.say });
  const deadline = monotonicMs() + STOP_DEADLINE_MS;
  while (await stillHolds(lockFile, holder)) {
    // Once it is gone (or killed), the lock is free as soon as the process is: no deadline then.
    if (guard.check() && monotonicMs() > deadline) {
      throw new StackError(ExitCode.locked, `the controller (pid ${holder.pid}) did not stop within 2 minutes`);
    }
    await pause(options.pollMs ?? 50);
  }
  // The lock goes with the controller's last act; its process ends just after. Waited for too
  // (5 s at most), so that `down` returns with no controller left running.
  const exited = monotonicMs() + EXIT_WAIT_MS;
  while (controllerRuns(holder) && monotonicMs() < exited) await pause(10);
}

/**
 * Hands `request` to the controller `holder` and resolves with its answer. Resolves undefined
 * when the controller stayed stopped and was killed for it: its lock is then free (within 5 s)
 * and the caller does the work itself. Throws when a running controller did not answer.
 */
export async function askController(
  stateDir: string,
  lockFile: string,
  holder: LockOwner,
  request: Omit<ControllerRequest, 'id'>,
  options: ControllerClientOptions & { timeoutMs?: number },
): Promise<ControllerResponse | undefined> {
  const guard = guardStoppedController(holder, { stopTimeoutMs: options.stopTimeoutMs, waitingFor: 'answer', say: options.say });
  guard.check();
  try {
    return await submitRequest(stateDir, request, {
      timeoutMs: options.timeoutMs ?? 10 * 60_000,
      isAlive: async () => guard.check() && (await stillHolds(lockFile, holder)),
    });
  } catch (error) {
    if (!guard.killed) throw error;
    const gone = monotonicMs() + 5000;
    while ((await stillHolds(lockFile, holder)) && monotonicMs() < gone) await pause(20);
    return undefined;
  }
}
