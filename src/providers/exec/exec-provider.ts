/**
 * The exec provider: a service that its own commands start and stop, whose `status` command says
 * whether it runs (exit 0: running, any other code: stopped). The plugin provider's lifecycle
 * without a plugin folder. `status` is the truth every operation goes by: a start of what runs
 * and a stop of what does not are no-ops, and neither resolves before `status` agrees.
 */

import path from 'node:path';
import type { DesiredService, StopSpec } from '../../model/desired.js';
import type { AppliedService, ObservedService } from '../../model/observed.js';
import { cannotRun, OperationError, type OperationContext, type Provider, type ProviderCheck, type StartedService } from '../../model/provider.js';
import { describeCheck, formatDuration, realClock, waitForProbe } from '../probes.js';
import { logFileOf, rotateLogIfLarge, appendLogMarker } from '../process/logs.js';
import { rotateLiveLog } from '../process/rotate-live.js';
import { execAt } from '../process/exec.js';
import { logChunksOfFile, showLogFile } from '../process/show-log.js';
import { recordedList } from '../recorded-fields.js';
import { askStatus, cannotRunBecause, failureOf, runLogged, waitForStatus } from './commands.js';
import { EXEC_COMMANDS, type ExecSpec } from './spec.js';

export interface ExecProviderOptions {
  /** How long `start` may run (default 60 s). */
  startTimeoutMs?: number;
  /** How long `status` may take to say running once `start` exited 0 (default 30 s). */
  runningWithinMs?: number;
  /** How long one `status` may take (default 5 s): observing never hangs `stack status`. */
  statusTimeoutMs?: number;
  /** How often `status` is asked while waiting for it to agree (default 100 ms). */
  pollMs?: number;
}

export function createExecProvider(options: ExecProviderOptions = {}): Provider {
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const runningWithinMs = options.runningWithinMs ?? 30_000;
  const statusTimeoutMs = options.statusTimeoutMs ?? 5_000;
  const polling = { statusTimeoutMs, pollMs: options.pollMs ?? 100 };
  // What stack.yaml said of each service when it was last observed: a stop runs the declared
  // command with the declared env (the state file keeps only digests of secrets).
  const lastSeen = new Map<string, DesiredService | undefined>();

  /** Fails before anything runs when `command` cannot run at all (a missing program or folder). */
  const requireRunnable = async (name: string, spec: ExecSpec, command: 'start' | 'stop', ctx: OperationContext): Promise<void> => {
    const problem = await cannotRunBecause(spec, command, ctx);
    if (problem !== undefined) throw new OperationError(name, `${name}: ${problem}`);
  };

  return {
    name: 'exec',
    capabilities: { grouped: false, cheapObserve: false, readsExitsFromRecord: false },

    async observe(name, desired, applied, ctx): Promise<ObservedService> {
      lastSeen.set(name, desired);
      if (!applied) return { name, phase: 'absent' };
      const base = { name, restarts: applied.restarts, ...(applied.startedAt && !applied.stoppedByUs ? { since: applied.startedAt } : {}) };
      const answer = await askStatus(specOf(desired, applied), statusTimeoutMs, ctx);
      return { ...base, ...answer };
    },

    async start(service, ctx): Promise<StartedService> {
      const spec = specOf(service, undefined);
      const startedAt = new Date().toISOString();
      const before = await askStatus(spec, statusTimeoutMs, ctx);
      if (before.phase === 'running') {
        ctx.note?.(`${service.name} was running already (its status exited 0): start was not run`);
        return { startedAt };
      }
      await requireRunnable(service.name, spec, 'start', ctx);
      await rotateLogIfLarge(logFileOf(ctx.stateDir, service.name), service.logs);
      const run = await runLogged(service.name, 'start', spec, startTimeoutMs, ctx);
      // The likeliest mistake: a program that stays in the foreground (redis-server without --daemonize).
      const foreground = `did not exit within ${formatDuration(startTimeoutMs)} (its process group was killed); start must exit once the service runs in the background, and a program that stays in the foreground is a process service (command:)`;
      if (run.result.exitCode !== 0) throw await failureOf(service.name, 'start', run, run.result.timedOut ? foreground : undefined, ctx);
      // A daemon forks and its starter exits at once: it runs once its status says so.
      const running = await waitForStatus(spec, (answer) => answer.phase === 'running', Date.now() + runningWithinMs, polling, ctx);
      if (!running.ok) {
        const last = running.last.detail ?? `it says ${running.last.phase}`;
        throw await failureOf(service.name, 'start', run, `exited 0, but status did not say running within ${formatDuration(runningWithinMs)} (${last})`, ctx);
      }
      return { startedAt, logOffset: run.logOffset };
    },

    // Without a `ready` probe a started service is ready.
    awaitsReady: (service) => service.ready !== undefined,

    async waitReady(service, started, ctx) {
      const probe = service.ready;
      if (!probe) return;
      const spec = specOf(service, undefined);
      const logFile = logFileOf(ctx.stateDir, service.name);
      const waited = { signal: ctx.signal, logFile, logOffset: started.logOffset ?? 0, cwd: spec.cwd, env: spec.env, verbose: ctx.verbose, redact: ctx.redact, clock: realClock };
      const result = await waitForProbe(probe, waited);
      if (!result.ok) throw new OperationError(service.name, `${service.name}: not ready: ${result.reason} (waiting for ${describeCheck(probe.check)})`);
    },

    async stop(name: string, applied: AppliedService, stop: StopSpec, ctx: OperationContext) {
      const spec = specOf(lastSeen.get(name), applied);
      const deadline = Date.now() + stop.timeoutMs;
      // Stopping what does not run is nothing to do (a `kill $(cat pidfile)` would fail).
      if ((await askStatus(spec, statusTimeoutMs, ctx)).phase === 'stopped') return undefined;
      await requireRunnable(name, spec, 'stop', ctx);
      const run = await runLogged(name, 'stop', spec, stop.timeoutMs, ctx);
      if (run.result.exitCode !== 0) throw await failureOf(name, 'stop', run, undefined, ctx);
      // `nginx -s quit` asks and returns: stopped is what status says, not what stop hoped.
      const stopped = await waitForStatus(spec, (answer) => answer.phase !== 'running', deadline, polling, ctx);
      if (!stopped.ok) throw await failureOf(name, 'stop', run, `exited 0, but status still says running after ${formatDuration(stop.timeoutMs)}`, ctx);
      return undefined;
    },

    // Nothing is installed: the commands are the service's own.
    async uninstall() {},

    // What start and stop (and a daemon that kept their output) printed, secrets replaced.
    logs: (name, _desired, _applied, request, ctx) =>
      showLogFile(logFileOf(ctx.stateDir, name), request, ctx.redact),
    logChunks: (name, request, ctx) => logChunksOfFile(logFileOf(ctx.stateDir, name), request, ctx.redact),

    run: (service) => Promise.reject(cannotRun(service)),

    // In the folder and environment its start, stop and status commands run in.
    exec: (service, request, ctx) => execAt(service.name, specOf(service, undefined), request.command, ctx),

    watchedPaths: () => ({ files: [], trees: [] }),
    // Its own commands run it: only its `status` can say whether something was left running.
    describeRun: () => undefined,
    mark: (name, text, ctx, at) => appendLogMarker(logFileOf(ctx.stateDir, name), text, at),
    rotateLog: (service, ctx) => rotateLiveLog(logFileOf(ctx.stateDir, service.name), service.logs),

    // `stack check`: every command's program is where the service will look for it.
    async checks(services) {
      return Promise.all(services.map(async (service) => checkPrograms(service.name, specOf(service, undefined))));
    },
  };
}

async function checkPrograms(name: string, spec: ExecSpec): Promise<ProviderCheck> {
  for (const command of EXEC_COMMANDS) {
    // Positions are said relative to stack.yaml's folder, as a failed start says them.
    const at = spec.at?.[command];
    const problem = await cannotRunBecause(spec, command, { root: at ? path.dirname(at.file) : spec.cwd });
    if (problem !== undefined) return { check: 'executable', ok: false, detail: `${name}: ${problem}`, hint: `install it or fix services.${name}.exec.${command} in stack.yaml` };
  }
  const programs = [...new Set(EXEC_COMMANDS.map((command) => spec[command][0]))];
  return { check: 'executable', ok: true, detail: `${name}: ${programs.join(', ')}` };
}

/** The spec to act on: as declared, or (for a service that left stack.yaml) as the state file recorded it. */
function specOf(desired: DesiredService | undefined, applied: AppliedService | undefined): ExecSpec {
  if (desired?.provider === 'exec') return desired.exec;
  const fields = applied?.fields ?? {};
  const list = (key: string): string[] => recordedList(fields, key);
  // A sensitive value is recorded as its digest only: the command runs without it.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (key.startsWith('env.') && !/^(sha|key):/.test(value)) env[key.slice(4)] = value;
  return { start: list('exec.start'), stop: list('exec.stop'), status: list('exec.status'), shell: false, cwd: fields['exec.cwd'] ?? '/', env };
}
