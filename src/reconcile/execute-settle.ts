import { describeExit } from '../providers/probes.js';
import type { UnitEnvironment } from './execute-unit.js';
import type { ServiceOutcome } from './execute.js';

/** How long a service without a `ready` probe must stay up after its start to count as started. */
export const SETTLE_MS = 100;

/**
 * A service with no `ready` probe counts as started once spawned, so dependents are not held
 * up; but one that exits within SETTLE_MS of its start (a typo in its arguments, a missing
 * file) is reported as failed with its exit code rather than as a success.
 */
export async function settleStarts(
  env: UnitEnvironment,
  outcomes: Map<string, ServiceOutcome>,
  signal: AbortSignal,
): Promise<void> {
  const checks = [...env.started.entries()].map(async ([name, started]) => {
    const key = `start:${name}`;
    const outcome = outcomes.get(key);
    if (!started.exited || outcome?.status !== 'done') return;
    const age = Date.now() - Date.parse(started.startedAt);
    const exit = await raceTimeout(started.exited, Math.max(0, SETTLE_MS - age), signal);
    if (!exit) return;
    const applied = env.state.get(name);
    const reason = describeExit(exit);
    await env.state.update(name, (current) =>
      current && { ...current, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: false, lastExit: { ...exit, at: new Date().toISOString(), reason } },
    );
    const tail = applied ? await logTail(env, name) : '';
    outcomes.set(key, { ...outcome, status: 'failed', error: `${reason} right after it started${tail}` });
  });
  await Promise.all(checks);
}


async function logTail(env: UnitEnvironment, name: string): Promise<string> {
  const { readLogTail, logFileOf } = await import('../providers/process/logs.js');
  const lines = await readLogTail(logFileOf(env.ctx.stateDir, name), 5).catch(() => [] as string[]);
  return lines.length > 0 ? `; last lines of its log:\n  ${lines.join('\n  ')}` : '';
}

function raceTimeout<T>(promise: Promise<T>, ms: number, signal: AbortSignal): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    const done = (value: T | undefined) => {
      clearTimeout(timer);
      resolve(value);
    };
    signal.addEventListener('abort', () => done(undefined), { once: true });
    promise.then(done, () => done(undefined));
  });
}
