import type { DesiredService } from '../../model/desired.js';
import type { AppliedService, ObservedService, ProbeRecord } from '../../model/observed.js';
import { observeIdle, UNKNOWN_EXIT } from '../../reconcile/idle.js';
import { orphansOf } from '../../os/stop-group.js';
import { runProbeOnce } from '../probes.js';
import { healthOf, probeRecordOf, watchedProbe } from '../probe-record.js';
import type { OperationContext } from '../../model/provider.js';
import { checkOwnership, pidExists, ProcUnavailableError, readBootTime, ticksToIso, type Ownership } from '../../os/proc-stat.js';
import { monotonicMs } from '../../os/monotonic.js';

// An observation probe is one quick attempt, not a wait.
const OBSERVE_PROBE_TIMEOUT_MS = 2000;

/**
 * The service's probe result for this run: made now when `ctx.probe` asks (but a `log` check
 * needs the run's log offset, which only the starting process knows), else the one recorded.
 */
async function probeResult(desired: DesiredService | undefined, applied: AppliedService, ctx: OperationContext): Promise<ProbeRecord | undefined> {
  const watched = watchedProbe(desired);
  if (!desired || !watched) return undefined;
  const recorded = applied.probe && !(applied.startedAt && applied.probe.at < applied.startedAt) ? applied.probe : undefined;
  if (!ctx.probe || watched.probe.check.kind === 'log') return recorded;
  const result = await runProbeOnce(watched.probe.check, {
    timeoutMs: Math.min(watched.probe.timeoutMs, OBSERVE_PROBE_TIMEOUT_MS),
    signal: ctx.signal,
    cwd: desired.process?.cwd,
    env: desired.process?.env,
    verbose: ctx.verbose,
  });
  return probeRecordOf(watched.kind, result, new Date().toISOString(), desired);
}

async function sinceOf(applied: AppliedService, startTicks: number): Promise<string | undefined> {
  if (applied.startedAt) return applied.startedAt;
  return ticksToIso(startTicks, await readBootTime());
}

/**
 * Runs a read of /proc found to be ours (pid → its start ticks, and when). For CONFIRMED_FOR_MS
 * after such a read, a `kill -0` that still finds the pid stands for another read: a controller
 * polls every adopted run twice a second, and for 1,000 services those reads were a tenth of a
 * core. What `kill -0` cannot tell apart from the run, a zombie not yet reaped and a pid handed
 * to another process after the run was reaped, is then found by the next read, at most
 * CONFIRMED_FOR_MS later; a run that was reaped (its pid gone) is found at once.
 */
const confirmed = new Map<number, { startTicks: number; at: number }>();
const CONFIRMED_FOR_MS = 5_000;

function stillConfirmed(pid: number, startTicks: number): boolean {
  const entry = confirmed.get(pid);
  return entry?.startTicks === startTicks && monotonicMs() - entry.at <= CONFIRMED_FOR_MS && pidExists(pid);
}

/** checkOwnership, remembered in `confirmed` when ours. */
async function readOwnership(pid: number, startTicks: number): Promise<Ownership> {
  const ownership = await checkOwnership(pid, startTicks);
  const now = monotonicMs();
  if (ownership !== 'ours') {
    confirmed.delete(pid);
    return ownership;
  }
  // The pids of runs replaced since (a crash loop makes one a second) are forgotten, not kept.
  if (confirmed.size >= 4096) for (const [each, entry] of confirmed) if (now - entry.at > CONFIRMED_FOR_MS) confirmed.delete(each);
  confirmed.set(pid, { startTicks, at: now });
  return ownership;
}

/** What a process service is now, judged from its recorded pid and start ticks. */
export async function observeProcess(
  name: string,
  desired: DesiredService | undefined,
  applied: AppliedService | undefined,
  ctx: OperationContext,
): Promise<ObservedService> {
  if (!applied) return { name, phase: 'absent' };
  const { pid, startTicks } = applied;
  if (pid === undefined) return observeIdle(name, applied);
  const base = { name, restarts: applied.restarts };
  if (startTicks === undefined) {
    return { ...base, phase: 'unknown', detail: `pid ${pid} was recorded without its start time; cannot tell whether it is ours` };
  }
  try {
    const ownership = stillConfirmed(pid, startTicks) ? 'ours' : await readOwnership(pid, startTicks);
    if (ownership === 'recycled') return { ...base, phase: 'crashed', detail: `pid ${pid} now belongs to another process` };
    if (ownership !== 'ours') {
      // Members of the group can outlive their leader (a shell that forked, a daemon): the
      // service still runs, and starting it again would make two.
      const survivors = await orphansOf({ pid, pgid: applied.pgid, startTicks }, applied.pgid ?? pid);
      if (survivors.length > 0) {
        return { ...base, phase: 'running', pid, since: await sinceOf(applied, startTicks), leaderExited: true, detail: `its leader pid ${pid} exited; ${survivors.length} process(es) of its group still run` };
      }
      // Only the parent of a run learns how it ended; this one ended unseen.
      return { ...base, phase: 'stopped', exit: { code: null, signal: null }, detail: `pid ${pid} is gone; ${UNKNOWN_EXIT}` };
    }
    const observed: ObservedService = { ...base, phase: 'running', pid, since: await sinceOf(applied, startTicks) };
    if (!watchedProbe(desired)) return { ...observed, health: 'none' };
    const probe = await probeResult(desired, applied, ctx);
    return probe ? { ...observed, probe, health: healthOf(probe) } : observed;
  } catch (error) {
    if (error instanceof ProcUnavailableError) return { ...base, phase: 'unknown', detail: error.message };
    throw error;
  }
}
