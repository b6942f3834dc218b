import { closeSync } from 'node:fs';
import type { LifecycleCommand } from '../../config/plugin-schema.js';
import type { PluginManifest } from '../../config/plugin-file.js';
import type { Redact } from '../../config/sensitive.js';
import { formatDuration } from '../probes.js';
import { openLogForAppend, outputWritten, readLogTextTail, runShellLogged } from '../process/logs.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { followOutput } from './output.js';

/** How many lines of its output a failed lifecycle command quotes. */
export const OUTPUT_TAIL_LINES = 10;

export interface LifecycleRun {
  command: LifecycleCommand;
  service: string;
  plugin: PluginManifest;
  env: Record<string, string>;
  ctx: OperationContext;
  /** The secrets of the stack and of the plugin: every line of output passes it. */
  redact: Redact;
  /** Receives each line of the command's output as it appears, redacted. */
  onLine: (line: string) => void;
  /** Resolves once what onLine was given has been passed on (output is read no faster). */
  drained?: () => Promise<void>;
}

/** Where a lifecycle command's output began in the service's log. */
export interface LifecycleDone {
  logFile: string;
  logOffset: number;
}

/**
 * Runs one lifecycle command with `sh -c` in the plugin folder, its output appended to
 * `.stack/logs/<service>.log` and streamed line by line, secrets replaced. Rejects with an OperationError
 * carrying the exit code and the output's last lines when it fails or times out.
 */
export async function runLifecycle(run: LifecycleRun): Promise<LifecycleDone> {
  const { command, service, plugin, ctx } = run;
  const script = plugin.lifecycle[command];
  if (script === undefined) throw new OperationError(service, `${service}: plugin ${plugin.name} has no ${command} command`);
  const log = await openLogForAppend(ctx.stateDir, service);
  const follower = followOutput(log.file, log.offset, (line) => run.onLine(run.redact(line)), run.drained);
  const timeoutMs = plugin.timeoutsMs[command];
  let result;
  try {
    result = await runShellLogged(script, log, { cwd: plugin.dir, env: run.env, timeoutMs, signal: ctx.signal, verbose: ctx.verbose });
    await outputWritten(log.file, log.offset);
  } finally {
    closeSync(log.fd);
    await follower.stop();
  }
  if (result.aborted) throw ctx.signal.reason ?? new Error('interrupted');
  const done = { logFile: log.file, logOffset: log.offset };
  if (result.exitCode === 0) return done;
  const logTail = (await readLogTextTail(log.file, OUTPUT_TAIL_LINES, { offset: log.offset, cutLine: run.redact }).catch(() => [])).map((line) => run.redact(line));
  const why = result.spawnError
    ? `could not run sh (${result.spawnError})`
    : result.timedOut
      ? `timed out after ${formatDuration(timeoutMs)} (its process group was killed)`
      : result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
  const lines = logTail.length > 0 ? `\n  last output lines:\n${logTail.map((line) => `  | ${line}`).join('\n')}` : '';
  throw new OperationError(service, `${service}: ${command} (${script}) ${why}${lines}`, { exitCode: result.exitCode, signal: result.signal, timedOut: result.timedOut, logTail });
}
