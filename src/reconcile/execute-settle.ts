import type { DesiredService } from '../config/types.js';
import { describeExit } from '../providers/probes.js';
import type { ExitInfo, StartedService } from '../providers/types.js';
import { stopSpecOf } from './declarations.js';
import type { MachineClock, UnitEnvironment } from './execute-unit.js';
import type { ProgressEvent, ServiceOutcome } from './execute.js';

/**
 * A service with no `ready` probe counts as started once spawned, so dependents are not held
 * up; but one that exits within its `start.settle` (default 100 ms) of its start (a typo in its
 * arguments, a missing file) is reported as failed with its exit code rather than as a success,
 * and what it left in its process group (a `cmd &` of a shell) is stopped: a failed start leaves
 * nothing running. All services share one wait, so the check costs at most the longest settle
 * after the last start. `runs` are the starts of this run, as each was made.
 */
export async function settleStarts(
  env: UnitEnvironment,
  runs: ReadonlyMap<string, StartedService | undefined>,
  outcomes: Map<string, ServiceOutcome>,
  services: ReadonlyMap<string, DesiredService>,
  options: SettleOptions,
): Promise<void> {
  const settleOf = (name: string): number => services.get(name)?.start.settleMs ?? 0;
  const watched = [...runs].filter((entry): entry is [string, StartedService] => entry[1]?.exited !== undefined && settleOf(entry[0]) > 0 && outcomes.get(`start:${entry[0]}`)?.status === 'done');
  if (watched.length === 0) return;
  const exits = new Map<string, ExitInfo>();
  const deadlines = watched.map(([name, started]) => {
    const deadline = Date.parse(started.startedAt) + settleOf(name);
    // An exit after this service's own settle is the supervisor's business, not a failed start.
    // Judged by when the exit was seen, not by when this callback runs (after every start).
    void started.exited?.then((exit) => (exit.seenAt ?? Date.now()) <= deadline && exits.set(name, exit));
    return deadline;
  });
  await pause(Math.max(0, Math.max(...deadlines) - Date.now()), options.signal);
  await new Promise((resolve) => setImmediate(resolve));

  for (const [name, exit] of exits) {
    const started = watched.find(([watchedName]) => watchedName === name)?.[1];
    const current = env.started.get(name);
    // A supervisor may have started the next run meanwhile: that one is not this failure's.
    if (!started || (current !== undefined && current !== started)) continue;
    const reason = describeExit(exit);
    // Under a supervisor (watch, up) the run's exit is its business: it stops what the run left
    // and records the exit. Without one, this check does both.
    if (!env.supervise) {
      await stopLeftovers(env, name, services.get(name), options.signal);
      await env.state.update(name, (record) =>
        record && { ...record, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: false, lastExit: { code: exit.code, signal: exit.signal, at: new Date().toISOString(), reason: `${reason} right after it started`, duringStart: true } },
      );
    }
    const key = `start:${name}`;
    const outcome = outcomes.get(key) as ServiceOutcome;
    const failed: ServiceOutcome = { ...outcome, status: 'failed', error: options.redact(`${reason} right after it started${await logTail(env, name, started.logOffset ?? 0)}`) };
    outcomes.set(key, failed);
    options.onProgress?.({ type: 'end', outcome: failed });
  }
}

export interface SettleOptions {
  signal: AbortSignal;
  /** Told of each start the check turns into a failure, after its `done` was reported. */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Replaces secret values in what is reported and recorded (the log's last lines may print one). */
  redact: (text: string) => string;
}

/** Stops what a run whose leader exited left in its group, as `stop` would (Ctrl+C ends the wait). */
async function stopLeftovers(env: UnitEnvironment, name: string, service: DesiredService | undefined, signal: AbortSignal): Promise<void> {
  const record = env.state.get(name);
  if (record?.pid === undefined) return;
  try {
    const provider = await env.providers.get(record.provider);
    await provider.stop(name, record, stopSpecOf(service, record), { ...env.ctx, signal });
  } catch {
    // A member that outlived SIGKILL, or an interrupted wait: the next `down` finds what is left by
    // its marker (processes that lost their group's leader).
  }
}

/** The end of what this run wrote to its log (from `offset`, where it began), never an earlier run's. */
async function logTail(env: UnitEnvironment, name: string, offset: number): Promise<string> {
  const { readLogTail, logFileOf } = await import('../providers/process/logs.js');
  const lines = await readLogTail(logFileOf(env.ctx.stateDir, name), 5, offset).catch(() => [] as string[]);
  return lines.length > 0 ? `; last lines of its log:\n  ${lines.join('\n  ')}` : '';
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** How long a finished run waits for provider calls still in flight (they were told to abort). */
export const INFLIGHT_GRACE_MS = 10_000;

const realClock: MachineClock = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>) };

/**
 * Waits for the provider calls still in flight so what they did gets recorded (a start that
 * spawned as Ctrl+C came), but not forever: a call that ignores its abort signal (a hung
 * provider whose machine already timed out) must not hold back the run and its summary.
 * True when all settled in time.
 */
export async function waitForInflight(inflight: Iterable<Promise<unknown>>, ms = INFLIGHT_GRACE_MS, clock: MachineClock = realClock): Promise<boolean> {
  let timer: unknown;
  const expired = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([...inflight]).then(() => true as const), expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}
