import { DEFAULT_STOP_SPEC } from '../../config/defaults.js';
import { formatDuration } from '../../config/units.js';
import type { Desired } from '../../model/desired.js';
import { readProcStatSync } from '../../os/proc-stat.js';
import { monotonicMs } from '../../os/monotonic.js';
import { signalProcess } from '../../os/signal.js';
import type { LockOwner } from '../../state/lock.js';

/**
 * A controller stopped by SIGSTOP or Ctrl+Z (state `T` in /proc, `t` under a debugger) holds the
 * lock but answers nothing: a SIGTERM stays pending, a request is never read. `down` and
 * `restart` watch for that while they wait on it: they say so, continue it (SIGCONT), and kill it
 * with SIGKILL once the stop timeout has passed since they found it stopped.
 */
export interface StoppedControllerGuard {
  /** One look: false once the controller is gone (or was killed here). */
  check(): boolean;
  /** Whether this guard killed the controller. */
  readonly killed: boolean;
}

export interface GuardOptions {
  /** How long after it was found stopped it may take: the longest `stop.timeout` of the stack. */
  stopTimeoutMs: number;
  /** `exit`: it was asked to end, so it is killed if it still runs then; `answer`: only if it is still stopped. */
  waitingFor: 'exit' | 'answer';
  say: (line: string) => void;
}

function stateOf(holder: LockOwner): string | undefined {
  const stat = readProcStatSync(holder.pid);
  if (!stat || (holder.startTicks !== undefined && stat.startTicks !== holder.startTicks)) return undefined;
  return stat.state === 'Z' || stat.state === 'X' ? undefined : stat.state;
}

const isStopped = (state: string | undefined): boolean => state === 'T' || state === 't';

/** Whether the controller's process still runs (a zombie, a recycled pid or none: no). */
export const controllerRuns = (holder: LockOwner): boolean => stateOf(holder) !== undefined;

// Gone meanwhile (or not ours to signal): the next look says so.
const send = (pid: number, signal: NodeJS.Signals): void => void signalProcess(pid, signal);

export function guardStoppedController(holder: LockOwner, options: GuardOptions): StoppedControllerGuard {
  let foundStoppedAt: number | undefined;
  let killed = false;
  const timeout = formatDuration(options.stopTimeoutMs);
  return {
    get killed() {
      return killed;
    },
    check() {
      if (killed) return false;
      const state = stateOf(holder);
      if (state === undefined) return false;
      const stopped = isStopped(state);
      if (stopped && foundStoppedAt === undefined) {
        foundStoppedAt = monotonicMs();
        options.say(`the controller (pid ${holder.pid}) is stopped (SIGSTOP or Ctrl+Z); continuing it`);
      }
      if (foundStoppedAt === undefined) return true;
      const overdue = monotonicMs() - foundStoppedAt >= options.stopTimeoutMs;
      if (overdue && (options.waitingFor === 'exit' || stopped)) {
        options.say(`the controller (pid ${holder.pid}) ${stopped ? 'is still stopped' : 'did not exit'} ${timeout} after it was continued; killing it with SIGKILL`);
        send(holder.pid, 'SIGKILL');
        killed = true;
        return false;
      }
      if (stopped) send(holder.pid, 'SIGCONT');
      return true;
    },
  };
}

/** How long a stopped controller, once continued, may take to end: the longest `stop.timeout` of the stack. */
export function longestStopTimeout(desired: Desired): number {
  const timeouts = desired.services.map((service) => service.stop.timeoutMs);
  return timeouts.length === 0 ? DEFAULT_STOP_SPEC.timeoutMs : Math.max(...timeouts);
}
