import type { DesiredService, StopSpec } from '../../model/desired.js';
import type { AppliedService } from '../../model/observed.js';
import { describeCheck, formatDuration, realClock, waitForProbe, type ProbeClock } from '../probes.js';
import { appliedOfStart, cannotRun, OperationError, type ExitInfo, type OperationContext, type Provider, type StartedService } from '../../model/provider.js';
import { groupsToRemove } from './limits.js';
import { spawnerDescription } from '../../os/native-spawn.js';
import { logRelayDescription } from '../../os/log-relay.js';
import { checkAccountsRun, checkExecutables } from './check.js';
import { logFileOf, outputWritten, endedOutputWritten, readLogTextTail, appendLogMarker } from './logs.js';
import { buildProcess } from './build.js';
import { observeProcess } from './observe.js';
import { rotateLiveLog } from './rotate-live.js';
import { logChunksOfFile, showLogFile } from './show-log.js';
import { execInProcess } from './exec.js';
import { signalProcess } from './signal.js';
import { dropSpareRelay, processSpecOf, startProcess } from './start.js';
import { stopProcessGroup, type StopOutcome } from '../../os/stop-group.js';
import { checkOwnership } from '../../os/proc-stat.js';
import { stopMarkedLeftovers } from '../../state/adopt.js';

/** How many log lines a failed start quotes. */
export const LOG_TAIL_LINES = 10;
// Once the group is gone, the leader's exit event follows within a tick or two.
const EXIT_EVENT_GRACE_MS = 1000;

export interface ProcessProviderOptions {
  /** Time for readiness waits; tests pass a simulated clock. */
  clock?: ProbeClock;
}

export interface ProcessProvider extends Provider {
  readonly name: 'process';
  /** Stops a run that `start` returned (e.g. after readiness failed), before it was recorded. */
  stopStarted(name: string, started: StartedService, stop: StopSpec, ctx: OperationContext): Promise<ExitInfo | undefined>;
}

function withinGrace<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function formatFailure(message: string, logTail: string[]): string {
  if (logTail.length === 0) return message;
  return [`${message}`, '  last log lines:', ...logTail.map((line) => `  | ${line}`)].join('\n');
}

/** Creates the process provider: services run detached, each in its own process group. */
export function createProcessProvider(options: ProcessProviderOptions = {}): ProcessProvider {
  const clock = options.clock ?? realClock;
  // Exits of the runs this stack process spawned, by pid, so stop can say how they ended.
  const exits = new Map<number, { startTicks: number; exited: Promise<ExitInfo> }>();

  async function exitOf(pid: number, startTicks: number, outcome: StopOutcome): Promise<ExitInfo | undefined> {
    const known = exits.get(pid);
    if (!known || known.startTicks !== startTicks || outcome.kind === 'recycled') return undefined;
    const exit = await withinGrace(known.exited, EXIT_EVENT_GRACE_MS);
    return exit && { code: exit.code, signal: exit.signal };
  }

  async function stop(name: string, applied: AppliedService, stopSpec: StopSpec, ctx: OperationContext): Promise<ExitInfo | undefined> {
    // Stopped, not restarted: no next run for a relay started ahead to serve.
    dropSpareRelay(logFileOf(ctx.stateDir, name));
    const { pid, startTicks } = applied;
    if (pid === undefined) return undefined;
    if (startTicks === undefined) {
      throw new OperationError(name, `${name}: pid ${pid} was recorded without its start time; not signalling it`);
    }
    let outcome: StopOutcome;
    const notes: string[] = [];
    try {
      // A leader that died by itself may have left a `setsid` child, found only by its marker.
      const leaderDied = (await checkOwnership(pid, startTicks)) !== 'ours';
      // Read while the leader lives: its cgroups (limits:) are removed once the group is stopped.
      const removeGroups = groupsToRemove(name, leaderDied ? undefined : pid, ctx.stateDir);
      outcome = await stopProcessGroup({ pid, pgid: applied.pgid, startTicks }, stopSpec, {
        signal: ctx.signal,
        verbose: ctx.verbose,
      });
      const swept = (outcome.kind === 'stopped' ? (outcome.outside ?? 0) : 0) + (leaderDied ? await stopMarkedLeftovers(ctx.stateDir, name, stopSpec, ctx.signal) : 0);
      await removeGroups();
      if (swept > 0) notes.push(`also stopped ${swept} process${swept === 1 ? '' : 'es'} it had started outside its process group`);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      throw new OperationError(name, `${name}: cannot stop pid ${pid}: ${(error as Error).message}`, { cause: error });
    }
    if (outcome.kind === 'stopped' && outcome.killed) {
      notes.unshift(`it did not stop within ${formatDuration(stopSpec.timeoutMs)} of ${stopSpec.signal}: killed with SIGKILL`);
    }
    if (notes.length > 0) ctx.note?.(notes.join('; '));
    return exitOf(pid, startTicks, outcome);
  }

  return {
    name: 'process',
    capabilities: { grouped: true, cheapObserve: true, readsExitsFromRecord: true },

    observe: observeProcess,

    // A task's `inputs:`: their content joins its spec, so an edited migration runs it again.
    async digestFiles(service: DesiredService, ctx: OperationContext) {
      const globs = service.task?.inputs ?? [];
      // Loaded here: it needs node:crypto, which commands that only read never load.
      return globs.length === 0 ? undefined : (await import('./inputs.js')).digestInputs(ctx.root, globs);
    },

    async start(service: DesiredService, ctx: OperationContext): Promise<StartedService> {
      const run = await startProcess(service, ctx);
      exits.set(run.pid, { startTicks: run.startTicks, exited: run.exited });
      void run.exited.then(() => {
        // Keep the entry a moment so a stop racing the exit still learns how it ended.
        setTimeout(() => {
          if (exits.get(run.pid)?.startTicks === run.startTicks) exits.delete(run.pid);
        }, 60_000).unref();
      });
      const { logFile: _logFile, ...started } = run;
      return started;
    },

    // Without a `ready` probe a started service is ready.
    awaitsReady: (service: DesiredService) => service.ready !== undefined,

    async waitReady(service: DesiredService, started: StartedService, ctx: OperationContext): Promise<void> {
      const probe = service.ready;
      if (!probe) return;
      const spec = processSpecOf(service);
      const logFile = logFileOf(ctx.stateDir, service.name);
      const result = await waitForProbe(probe, {
        signal: ctx.signal,
        until: started.exited,
        logFile,
        logOffset: started.logOffset ?? 0,
        cwd: spec.cwd,
        env: spec.env,
        verbose: ctx.verbose,
        redact: ctx.redact,
        clock,
      });
      if (result.ok) return;
      if (result.exit) await outputWritten(logFile, started.logOffset ?? 0);
      const logTail = (await readLogTextTail(logFile, LOG_TAIL_LINES, { offset: started.logOffset ?? 0, cutLine: ctx.redact }).catch(() => [])).map((line) => ctx.redact(line));
      const message = result.exit
        ? `${service.name}: ${result.reason} (waiting for ${describeCheck(probe.check)})`
        : `${service.name}: not ready: ${result.reason}`;
      throw new OperationError(service.name, formatFailure(message, logTail), {
        exitCode: result.exit?.code,
        logTail,
      });
    },

    stop,

    stopStarted(name, started, stopSpec, ctx) {
      return stop(name, appliedOfStart('process', started), stopSpec, ctx);
    },

    signal: signalProcess,

    exec: execInProcess,
    build: buildProcess,

    // Logs are kept after an uninstall: they are what a person reads to learn why.
    async uninstall(): Promise<void> {},

    // A run that died unseen (its leader killed while no stack process was its parent) left its
    // cgroups: `down` found nothing to stop, so no stop removed them.
    async ended(name: string, _applied: AppliedService, ctx: Omit<OperationContext, 'signal'>): Promise<void> {
      await groupsToRemove(name, undefined, ctx.stateDir)();
    },

    logs: (name, _desired, _applied, request, ctx) => showLogFile(logFileOf(ctx.stateDir, name), request, ctx.redact),
    logChunks: (name, request, ctx) => logChunksOfFile(logFileOf(ctx.stateDir, name), request, ctx.redact),

    run: (service) => Promise.reject(cannotRun(service)),

    watchedPaths: (service) => ({ files: [...(service.process?.envFiles ?? [])], trees: [] }),

    describeRun: (record) => (record?.pid === undefined ? undefined : `pid ${record.pid}`),

    // After what an ended run printed: its relay may still hold its last lines.
    mark: async (name, text, ctx, at) => {
      const file = logFileOf(ctx.stateDir, name);
      await endedOutputWritten(file);
      await appendLogMarker(file, text, at);
    },
    rotateLog: (service, ctx) => rotateLiveLog(logFileOf(ctx.stateDir, service.name), service.logs),

    checks: async (services, ctx) => [...(await checkExecutables(services, ctx.env)), ...checkAccountsRun(services), { check: 'spawner', ok: true, detail: `services start through ${spawnerDescription()}; their output is framed by ${logRelayDescription()}` }],
  };
}
