import type { DesiredService } from '../../model/desired.js';
import type { AppliedService, LastExit, ObservedService, ProbeRecord } from '../../model/observed.js';
import { givenUpWords } from '../../reconcile/diff.js';
import { restartsBeforeGivingUp } from '../../reconcile/give-up.js';
import { orphansOf } from '../../os/stop-group.js';
import { describeExit, runProbeOnce } from '../probes.js';
import { healthOf, probeRecordOf, watchedProbe } from '../probe-record.js';
import type { OperationContext } from '../../model/provider.js';
import { checkOwnership, ProcUnavailableError, readBootTime, ticksToIso } from '../../os/proc-stat.js';

// An observation probe is one quick attempt, not a wait.
const OBSERVE_PROBE_TIMEOUT_MS = 2000;

function lastExitWords(applied: AppliedService): string | undefined {
  const exit = applied.lastExit;
  if (!exit) return undefined;
  if (exit.duringStart) return `start failed: ${exit.reason ?? describeExit(exit)}`;
  const words = describeExit(exit);
  // A crash records "exited", a stop "stopped by stack": said once.
  return exit.reason && !words.startsWith(exit.reason) ? `${words} (${exit.reason})` : words;
}

// An exit whose code and signal are both unknown was seen only as a pid gone (an adopted run).
const isUnknownExit = (exit: LastExit): boolean => exit.code === null && exit.signal === null && exit.duringStart !== true;

function isFailedExit(exit: LastExit): boolean {
  return exit.duringStart === true || exit.signal !== null || exit.code !== 0;
}

/**
 * The phase of a service with no live run recorded: stopped (by stack, or by itself with exit 0
 * or an exit nobody could see), or crashed when its last run failed.
 */
function observeIdle(name: string, applied: AppliedService): ObservedService {
  const base = { name, restarts: applied.restarts };
  const exit = applied.stoppedByUs === true ? undefined : applied.lastExit;
  if (!exit) return { ...base, phase: 'stopped' };
  const how = { exit: { code: exit.code, signal: exit.signal } };
  if (isUnknownExit(exit)) return { ...base, ...how, phase: 'stopped', detail: exit.reason ?? UNKNOWN_EXIT };
  if (!isFailedExit(exit)) return { ...base, ...how, phase: 'stopped' };
  const gaveUp = applied.gaveUp ? `; ${givenUpWords(restartsBeforeGivingUp(applied))}` : '';
  return { ...base, ...how, phase: 'crashed', detail: `${lastExitWords(applied)}${gaveUp}` };
}

const UNKNOWN_EXIT = 'its exit code is unknown: no stack process was its parent when it ended';

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
    const ownership = await checkOwnership(pid, startTicks);
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
