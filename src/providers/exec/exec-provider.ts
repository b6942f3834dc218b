/**
 * The exec provider: a service that its own commands start and stop, whose `status` command says
 * whether it runs (exit 0: running, any other code: stopped). The plugin provider's lifecycle
 * without a plugin folder.
 */

import { closeSync } from 'node:fs';
import { quote } from 'shell-quote';
import type { DesiredService, StopSpec } from '../../model/desired.js';
import type { AppliedService, ObservedService } from '../../model/observed.js';
import { cannotRun, OperationError, type OperationContext, type Provider, type StartedService } from '../../model/provider.js';
import { runCommand, runShell } from '../../os/runner.js';
import { logFileOf, openLogForAppend, readLogTail } from '../process/logs.js';
import { showLogFile } from '../process/show-log.js';
import type { ExecSpec } from './spec.js';
import { recordedList } from '../recorded-fields.js';

const START_TIMEOUT_MS = 60_000;
const STATUS_TIMEOUT_MS = 10_000;
const TAIL_LINES = 10;

export function createExecProvider(): Provider {
  return {
    name: 'exec',
    capabilities: { grouped: false, cheapObserve: false, readsExitsFromRecord: false },
    async observe(name, desired, applied, ctx): Promise<ObservedService> {
      if (!applied) return { name, phase: 'absent' };
      const spec = specOf(name, desired, applied);
      const base = { name, restarts: applied.restarts, ...(applied.startedAt && !applied.stoppedByUs ? { since: applied.startedAt } : {}) };
      const result = await runCommand(spec.status, { cwd: spec.cwd, env: spec.env, timeoutMs: STATUS_TIMEOUT_MS, signal: ctx.signal, verbose: ctx.verbose, redact: ctx.redact });
      if (result.exitCode !== null) return { ...base, phase: result.exitCode === 0 ? 'running' : 'stopped' };
      return { ...base, phase: 'unknown', detail: result.timedOut ? 'status timed out' : `status could not run (${result.spawnError ?? 'killed'})` };
    },
    async start(service, ctx): Promise<StartedService> {
      const spec = specOf(service.name, service, undefined);
      const startedAt = new Date().toISOString();
      await runLogged(service.name, 'start', spec, START_TIMEOUT_MS, ctx);
      return { startedAt };
    },
    async stop(name: string, applied: AppliedService, stop: StopSpec, ctx: OperationContext) {
      await runLogged(name, 'stop', specOf(name, undefined, applied), stop.timeoutMs, ctx);
      return undefined;
    },
    // Nothing is installed: the commands are the service's own.
    async uninstall() {},
    // What start and stop printed, kept as a process service's log is.
    logs: (name, _desired, _applied, request, ctx) => showLogFile(logFileOf(ctx.stateDir, name), request),
    run: (service) => Promise.reject(cannotRun(service)),
    watchedPaths: () => ({ files: [], trees: [] }),
    describeRun: () => undefined,
  };
}

/**
 * Runs `start` or `stop` with its output appended to the service's log. Through `sh -c "exec …"`
 * with every argument quoted, so no shell interprets an argv, yet a `start` may leave its daemon
 * running in the command's process group (see runShell).
 */
async function runLogged(name: string, command: 'start' | 'stop', spec: ExecSpec, timeoutMs: number, ctx: OperationContext): Promise<void> {
  const argv = spec[command];
  const log = await openLogForAppend(ctx.stateDir, name);
  let result;
  try {
    result = await runShell(`exec ${quote(argv)}`, { cwd: spec.cwd, env: spec.env, outputFd: log.fd, timeoutMs, signal: ctx.signal, verbose: ctx.verbose });
  } finally {
    closeSync(log.fd);
  }
  if (result.aborted) throw ctx.signal.reason ?? new Error('interrupted');
  if (result.exitCode === 0) return;
  const logTail = (await readLogTail(log.file, TAIL_LINES, log.offset).catch(() => [])).map((line) => ctx.redact(line));
  const why = result.spawnError ? `could not run (${result.spawnError})` : result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  throw new OperationError(name, `${name}: ${command} ${why}`, { exitCode: result.exitCode, logTail });
}

/** The spec to act on: as declared, or (for a service that left the file) as the state file recorded it. */
function specOf(name: string, desired: DesiredService | undefined, applied: AppliedService | undefined): ExecSpec {
  if (desired?.provider === 'exec') return desired.exec;
  const fields = applied?.fields ?? {};
  const list = (key: string): string[] => recordedList(fields, key);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) if (key.startsWith('env.') && !/^(sha|key):/.test(value)) env[key.slice(4)] = value;
  const spec = { start: list('exec.start'), stop: list('exec.stop'), status: list('exec.status'), shell: false, cwd: fields['exec.cwd'] ?? '/', env };
  if (spec.stop.length === 0) throw new OperationError(name, `${name}: no exec commands recorded`);
  return spec;
}
