/**
 * What a service with no live run is, from its record alone: stopped (by stack, or by itself
 * with exit 0 or an exit nobody saw), or crashed when its last run failed. Pure: daemonless
 * `status` (the process provider's observe) and the controller's known status say the same.
 */
import type { AppliedService, LastExit, ObservedService } from '../model/observed.js';
import { givenUpWords } from './diff.js';
import { restartsBeforeGivingUp } from './give-up.js';
import { describeExit } from './exit-words.js';

export { describeExit };

export const UNKNOWN_EXIT = 'its exit code is unknown: no stack process was its parent when it ended';

export function observeIdle(name: string, applied: AppliedService): ObservedService {
  const base = { name, restarts: applied.restarts };
  // A task that ended is done, well or not: never crashed, whatever its exit code.
  const run = applied.taskRun;
  if (run) return { ...base, phase: 'stopped', exit: { code: run.code, signal: run.signal }, task: run };
  const exit = applied.stoppedByUs === true ? undefined : applied.lastExit;
  if (!exit) return { ...base, phase: 'stopped' };
  const how = { exit: { code: exit.code, signal: exit.signal } };
  if (isUnknownExit(exit)) return { ...base, ...how, phase: 'stopped', detail: exit.reason ?? UNKNOWN_EXIT };
  if (!isFailedExit(exit)) return { ...base, ...how, phase: 'stopped' };
  const gaveUp = applied.gaveUp ? `; ${givenUpWords(restartsBeforeGivingUp(applied))}` : '';
  return { ...base, ...how, phase: 'crashed', detail: `${lastExitWords(exit)}${gaveUp}` };
}

function lastExitWords(exit: LastExit): string {
  if (exit.duringStart) return `start failed: ${exit.reason ?? describeExit(exit)}`;
  const words = describeExit(exit);
  // A crash records "exited", a stop "stopped by stack": said once.
  return exit.reason && !words.startsWith(exit.reason) ? `${words} (${exit.reason})` : words;
}

// An exit whose code and signal are both unknown was seen only as a pid gone (an adopted run).
const isUnknownExit = (exit: LastExit): boolean => exit.code === null && exit.signal === null && exit.duringStart !== true;

const isFailedExit = (exit: LastExit): boolean => exit.duringStart === true || exit.signal !== null || exit.code !== 0;
