/**
 * Running an exec service's three commands: `start` and `stop` with their output in the
 * service's log, `status` bounded and read as a phase. Each failure is an OperationError that
 * says which command failed and how, in words a person can act on.
 */

import { closeSync, statSync } from 'node:fs';
import path from 'node:path';
import { CUT_MARK } from '../../config/sensitive.js';
import type { ObservedService } from '../../model/observed.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { resolveExecutable } from '../../os/executables.js';
import { pause } from '../../os/pause.js';
import { runCommand, type CommandResult } from '../../os/runner.js';
import { formatDuration } from '../probes.js';
import { openLogForAppend, outputWritten, readLogTextTail, runShellLogged } from '../process/logs.js';
import type { ExecCommand, ExecSpec } from './spec.js';

/** How many lines of its output a failed command quotes. */
const TAIL_LINES = 10;
/** How much of a line a message quotes. */
const SAID_LIMIT = 200;
/** How much of each line the facts keep: a start that printed 1 GB on one line gives 1000 characters of it, not 64 KiB. */
const LINE_LIMIT = 1000;

export type StatusAnswer = { phase: ObservedService['phase']; detail?: string };

/**
 * Why `command` cannot run at all (its working folder or its program is missing), said the
 * way a person fixes it: where in stack.yaml, and what is missing. Undefined when it can run.
 */
export async function cannotRunBecause(spec: ExecSpec, command: ExecCommand, ctx: Pick<OperationContext, 'root'>): Promise<string | undefined> {
  const argv = spec[command];
  const where = whereWritten(spec, command, ctx.root);
  if (argv.length === 0) return `${where}no ${command} command recorded`;
  if (statSync(spec.cwd, { throwIfNoEntry: false })?.isDirectory() !== true) return `${where}working folder ${spec.cwd} does not exist`;
  const program = argv[0] as string;
  if (await resolveExecutable(program, spec.cwd, spec.env.PATH ?? process.env.PATH)) return undefined;
  return `${where}${command}: executable "${program}" not found ${program.includes('/') ? `at ${path.resolve(spec.cwd, program)}` : 'on PATH'}`;
}

/** `stack.yaml:5:7: `, where the command is written; empty when that is not known (a service that left the file). */
function whereWritten(spec: ExecSpec, command: ExecCommand, root: string): string {
  const at = spec.at?.[command];
  if (!at) return '';
  const file = path.relative(root, at.file);
  return `${file.startsWith('..') ? at.file : file}:${at.line}:${at.column}: `;
}

/**
 * Runs `status` within `timeoutMs` and reads its exit code: 0 running, any other stopped. A
 * status that cannot say (timed out, could not run, or a shell's 126/127: its program is
 * missing or not executable) is unknown, with the reason.
 */
export async function askStatus(spec: ExecSpec, timeoutMs: number, ctx: OperationContext): Promise<StatusAnswer> {
  const result = await runCommand(spec.status, { cwd: spec.cwd, env: spec.env, timeoutMs, signal: ctx.signal, verbose: ctx.verbose, redact: ctx.redact });
  if (result.aborted) throw ctx.signal.reason ?? new Error('interrupted');
  if (result.exitCode === 0) return { phase: 'running' };
  if (result.exitCode !== null && result.exitCode !== 126 && result.exitCode !== 127) return { phase: 'stopped' };
  if (result.spawnError !== undefined) return { phase: 'unknown', detail: (await cannotRunBecause(spec, 'status', ctx)) ?? `status could not run (${result.spawnError})` };
  const why = result.timedOut ? `status timed out after ${formatDuration(timeoutMs)} (its process group was killed)` : result.signal ? `status was killed by ${result.signal}` : `status exited with code ${result.exitCode}`;
  const said = lastLine(result.stderr || result.stdout);
  return { phase: 'unknown', detail: said ? `${why}: ${said}` : why };
}

/**
 * Asks `status` until `wanted` says yes or `deadline` (Date.now()) passes; the last answer.
 * Each ask is bounded by `statusTimeoutMs` and by what is left of the deadline.
 */
export async function waitForStatus(
  spec: ExecSpec,
  wanted: (answer: StatusAnswer) => boolean,
  deadline: number,
  options: { statusTimeoutMs: number; pollMs: number },
  ctx: OperationContext,
): Promise<{ ok: boolean; last: StatusAnswer }> {
  for (;;) {
    // Each answer gets its whole time limit: a status cut short by the deadline would read as
    // `unknown`, which a stop's wait would take for "no longer running".
    const last = await askStatus(spec, options.statusTimeoutMs, ctx);
    if (wanted(last)) return { ok: true, last };
    if (Date.now() + options.pollMs >= deadline) return { ok: false, last };
    await pause(options.pollMs, ctx.signal);
  }
}

/** Where a run of `start` or `stop` began in the log, and how it ended. */
export interface LoggedRun {
  result: CommandResult;
  logFile: string;
  logOffset: number;
}

/**
 * Runs `start` or `stop` with its output appended to the service's log. Through `sh -c "exec …"`
 * with every argument single-quoted, so no shell interprets an argv (not `~`, `$`, `*` or a
 * backquote), yet a `start` may leave its daemon running in the command's process group,
 * writing to the same log (see runShell).
 */
export async function runLogged(name: string, command: 'start' | 'stop', spec: ExecSpec, timeoutMs: number, ctx: OperationContext): Promise<LoggedRun> {
  const log = await openLogForAppend(ctx.stateDir, name);
  let result: CommandResult;
  try {
    result = await runShellLogged(`exec ${spec[command].map(shellQuote).join(' ')}`, log, { cwd: spec.cwd, env: spec.env, timeoutMs, signal: ctx.signal, verbose: ctx.verbose });
    if (result.exitCode !== 0) await outputWritten(log.file, log.offset);
  } finally {
    closeSync(log.fd);
  }
  if (result.aborted) throw ctx.signal.reason ?? new Error('interrupted');
  return { result, logFile: log.file, logOffset: log.offset };
}

/** The OperationError of a `start` or `stop` that did not succeed: how it ended, and its last lines (secrets replaced). */
export async function failureOf(name: string, command: 'start' | 'stop', run: LoggedRun, why: string | undefined, ctx: OperationContext): Promise<OperationError> {
  const { result } = run;
  // Cut after the secrets are replaced, so no piece of one is left at the cut.
  const logTail = (await readLogTextTail(run.logFile, TAIL_LINES, { offset: run.logOffset, cutLine: ctx.redact }).catch(() => [])).map((line) => cut(ctx.redact(line), LINE_LIMIT));
  const ended = result.timedOut ? 'timed out (its process group was killed)' : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  const said = lastLine(logTail.join('\n'));
  const message = `${name}: ${command} ${why ?? ended}${said ? `: ${said}` : ''}`;
  return new OperationError(name, message, { exitCode: result.exitCode, signal: result.signal ?? null, timedOut: result.timedOut, logTail });
}

/** One argument as a POSIX shell reads it back unchanged: single-quoted, each `'` as `'\''`. */
export function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function lastLine(text: string): string {
  return cut(text.trimEnd().split('\n').at(-1)?.trim() ?? '', SAID_LIMIT);
}

function cut(line: string, limit: number): string {
  return line.length > limit ? `${line.slice(0, limit - 1)}${CUT_MARK}` : line;
}
