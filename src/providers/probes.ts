import { setTimeout as delay } from 'node:timers/promises';
import type { Probe, ProbeCheck } from '../model/desired.js';
import { formatDuration } from '../config/units.js';
import { monotonicMs } from '../os/monotonic.js';
import { newLogCursor } from './log-pattern.js';
import { runCheck, type CheckResult, type ProbeContext } from './probe-checks.js';
import type { ExitInfo } from '../model/provider.js';
import { describeExit } from '../reconcile/idle.js';

export type { CheckResult, ProbeContext } from './probe-checks.js';

/** Time as probes see it; tests pass a simulated one. */
export interface ProbeClock {
  now(): number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: ProbeClock = {
  now: () => monotonicMs(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

// Kept importable from here for the providers that word their timeouts with it.
export { formatDuration };

/** Names a check for people: `tcp 127.0.0.1:4222`, `http http://…`, `exec pg_isready`, `log /ready/`. */
export function describeCheck(check: ProbeCheck): string {
  switch (check.kind) {
    case 'tcp':
      return `tcp ${check.host.includes(':') ? `[${check.host}]` : check.host}:${check.port}`;
    case 'http':
      return `http ${check.url}`;
    case 'exec':
      return `exec ${check.argv.join(' ')}`;
    case 'log':
      return `log /${check.pattern}/`;
  }
}

/** How a run ended, in words: `exited with code 3`, `was killed by SIGKILL`. */
export { describeExit } from '../reconcile/idle.js';

/** One attempt of a check. Never throws: an unexpected error becomes the failure's reason. */
export async function runProbeOnce(check: ProbeCheck, ctx: ProbeContext): Promise<CheckResult> {
  try {
    return await runCheck(check, ctx);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The outcome of waiting: on failure, `exit` is set when the process ended meanwhile. */
export type ProbeWaitResult = { ok: true } | { ok: false; reason: string; exit?: ExitInfo };

export interface WaitForProbeOptions extends Omit<ProbeContext, 'timeoutMs' | 'signal'> {
  signal?: AbortSignal | undefined;
  /** The run's exit; when it settles first, waiting stops with a failure. */
  until?: Promise<ExitInfo> | undefined;
  clock?: ProbeClock;
  runOnce?: (check: ProbeCheck, ctx: ProbeContext) => Promise<CheckResult>;
}

// One attempt may take the remaining time, but no more than max(interval, 1s), so a hung attempt
// does not eat the retries; the last attempt still gets a fair 100 ms.
function attemptTimeout(remainingMs: number, intervalMs: number): number {
  return Math.min(Math.max(remainingMs, 100), Math.max(intervalMs, 1000));
}

/**
 * Retries `probe` every `intervalMs` until it passes or `timeoutMs` has elapsed. The failure
 * names the probe and its last error: `tcp 127.0.0.1:4222: connection refused after 10s`; a
 * final failure (`exec nosuchcmd: command not found`) ends the wait at once.
 * Rejects only when `signal` aborts (with its reason).
 */
export async function waitForProbe(probe: Probe, options: WaitForProbeOptions = {}): Promise<ProbeWaitResult> {
  const { signal, until, clock = realClock, runOnce = runProbeOnce, ...context } = options;
  const description = describeCheck(probe.check);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let exit: ExitInfo | undefined;
  void until?.then((info) => {
    exit = info;
    stop.abort();
  });
  const exitFailure = (info: ExitInfo): ProbeWaitResult => ({
    ok: false,
    reason: `${describeExit(info)} during start`,
    exit: info,
  });
  try {
    const deadline = clock.now() + probe.timeoutMs;
    // A `log` check reads on from where its last attempt stopped, never the whole log again.
    const logCursor = newLogCursor(context.logOffset ?? 0);
    let lastReason = 'no attempt made';
    for (;;) {
      signal?.throwIfAborted();
      if (exit) return exitFailure(exit);
      const timeoutMs = attemptTimeout(deadline - clock.now(), probe.intervalMs);
      const result = await runOnce(probe.check, { ...context, logCursor, timeoutMs, signal: stop.signal });
      if (result.ok) return result;
      signal?.throwIfAborted();
      if (exit) return exitFailure(exit);
      if (result.final) return { ok: false, reason: `${description}: ${result.reason}` };
      lastReason = result.reason;
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        return { ok: false, reason: `${description}: ${lastReason} after ${formatDuration(probe.timeoutMs)}` };
      }
      await clock.sleep(Math.min(probe.intervalMs, remaining), stop.signal);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
