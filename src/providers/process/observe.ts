import type { DesiredService, Probe } from '../../config/types.js';
import type { AppliedService, Health, LastExit, ObservedService } from '../../reconcile/types.js';
import { givenUpWords } from '../../reconcile/diff.js';
import { restartsBeforeGivingUp } from '../../reconcile/give-up.js';
import { orphansOf } from './stop.js';
import { describeExit, runProbeOnce } from '../probes.js';
import type { OperationContext } from '../types.js';
import { checkOwnership, ProcUnavailableError, readBootTime, ticksToIso } from './proc-stat.js';

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

function isFailedExit(exit: LastExit): boolean {
  return exit.duringStart === true || exit.signal !== null || exit.code !== 0;
}

/** The phase of a service with no live run recorded: stopped, or crashed when its last run failed. */
function observeIdle(name: string, applied: AppliedService): ObservedService {
  const base = { name, restarts: applied.restarts };
  if (applied.lastExit && applied.stoppedByUs !== true && isFailedExit(applied.lastExit)) {
    const gaveUp = applied.gaveUp ? `; ${givenUpWords(restartsBeforeGivingUp(applied))}` : '';
    return { ...base, phase: 'crashed', detail: `${lastExitWords(applied)}${gaveUp}` };
  }
  return { ...base, phase: 'stopped' };
}

async function probeHealth(desired: DesiredService | undefined, ctx: OperationContext): Promise<Health | undefined> {
  const probe: Probe | undefined = desired?.health ?? desired?.ready;
  if (!desired || !probe) return 'none';
  // A log check needs the run's log offset, which only the starting process knows.
  if (probe.check.kind === 'log') return undefined;
  const result = await runProbeOnce(probe.check, {
    timeoutMs: Math.min(probe.timeoutMs, OBSERVE_PROBE_TIMEOUT_MS),
    signal: ctx.signal,
    cwd: desired.process?.cwd,
    env: desired.process?.env,
    verbose: ctx.verbose,
  });
  if (result.ok) return 'ready';
  return desired.health ? 'unhealthy' : 'unready';
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
      const exit = lastExitWords(applied);
      return { ...base, phase: 'crashed', detail: `pid ${pid} is gone${exit ? `: ${exit}` : ''}` };
    }
    const observed: ObservedService = { ...base, phase: 'running', pid, since: await sinceOf(applied, startTicks) };
    if (ctx.skipProbes) return observed;
    const health = await probeHealth(desired, ctx);
    return health === undefined ? observed : { ...observed, health };
  } catch (error) {
    if (error instanceof ProcUnavailableError) return { ...base, phase: 'unknown', detail: error.message };
    throw error;
  }
}
