import { stat } from 'node:fs/promises';
import net from 'node:net';
import type { Redact } from '../config/sensitive.js';
import type { ProbeCheck } from '../model/desired.js';
import { compileLinePattern, newLogCursor, scanLog, type LogCursor } from './log-pattern.js';
import { monotonicMs } from '../os/monotonic.js';
import { runCommand } from '../os/runner.js';
import { escapeControls } from '../config/issues.js';

/** What one probe attempt may use. */
export interface ProbeContext {
  /** Bound on this one attempt. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** The service's log file and where this run's output begins (for `log` checks). */
  logFile?: string | undefined;
  logOffset?: number | undefined;
  /** Where a `log` check's previous attempt stopped reading: each attempt reads only what is new. */
  logCursor?: LogCursor | undefined;
  /** Where `exec` checks run, and the env they add (the service's). */
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  verbose?: ((line: string) => void) | undefined;
  /** What an `exec` check printed comes back with these secrets replaced. */
  redact?: Redact | undefined;
}

/** A probe result whose failure may be final: waiting longer cannot make it pass. */
export type CheckResult = { ok: true } | { ok: false; reason: string; final?: boolean };

const ok: CheckResult = { ok: true };
const fail = (reason: string): CheckResult => ({ ok: false, reason });

const errnoReasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (temporary)',
  ETIMEDOUT: 'timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
};

// fetch throws `TypeError: fetch failed`; the socket's error is its cause, or one of the errors
// of an AggregateError when every address of a host was tried.
function findErrno(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  const inner = Array.isArray(errors) ? [cause, ...(errors as unknown[])] : [cause];
  return inner.map((each) => findErrno(each, depth + 1)).find((each) => each !== undefined);
}

function innermostCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 4 && current instanceof Error && current.cause !== undefined; depth++) current = current.cause;
  return current;
}

/** A short reason for a network error, e.g. `connection refused`. */
export function describeNetworkError(error: unknown): string {
  const code = findErrno(error);
  if (code) return errnoReasons[code] ?? code;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = innermostCause(error);
  const message = cause instanceof Error ? cause.message : String(cause);
  // The Fetch standard blocks some ports (6000, 6665–6669, 10080, …) whatever listens there.
  return message === 'bad port' ? 'bad port: fetch never connects to this port (use a tcp check)' : message;
}

export function checkTcp(host: string, port: number, ctx: ProbeContext): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (result: CheckResult): void => {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish(fail('aborted'));
    const timer = setTimeout(() => finish(fail('timed out')), ctx.timeoutMs);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal?.aborted) onAbort();
    socket.once('connect', () => finish(ok));
    socket.once('error', (error) => finish(fail(describeNetworkError(error))));
  });
}

export async function checkHttp(url: string, ctx: ProbeContext): Promise<CheckResult> {
  const timeout = AbortSignal.timeout(ctx.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { redirect: 'manual', signal });
    await response.body?.cancel().catch(() => undefined);
    return response.status >= 200 && response.status < 400 ? ok : fail(`status ${response.status}`);
  } catch (error) {
    if (ctx.signal?.aborted) return fail('aborted');
    return fail(timeout.aborted ? 'timed out' : describeNetworkError(error));
  }
}

// A program that is missing or not executable will not become so by waiting: the failure is final.
const finalSpawnErrors: Readonly<Record<string, string>> = {
  ENOENT: 'command not found',
  EACCES: 'permission denied',
};

async function describeSpawnFailure(errno: string, cwd: string | undefined): Promise<CheckResult> {
  // A missing working directory fails the spawn with ENOENT too; checked only on failure.
  if (errno === 'ENOENT' && cwd !== undefined && !(await isDirectory(cwd))) {
    return { ok: false, reason: `working directory "${escapeControls(cwd)}" does not exist`, final: true };
  }
  const final = finalSpawnErrors[errno];
  return final ? { ok: false, reason: final, final: true } : fail(`cannot run: ${errno}`);
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then((info) => info.isDirectory(), () => false);
}

export async function checkExec(argv: readonly string[], ctx: ProbeContext): Promise<CheckResult> {
  const result = await runCommand(argv, {
    cwd: ctx.cwd,
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    verbose: ctx.verbose,
    redact: ctx.redact,
  });
  if (result.spawnError) return describeSpawnFailure(result.spawnError, ctx.cwd);
  if (result.timedOut) return fail('timed out');
  if (result.exitCode === 0) return ok;
  const lastLine = (result.stderr || result.stdout).trim().split('\n').at(-1)?.trim();
  const how = result.exitCode === null ? 'was killed' : `exited with code ${result.exitCode}`;
  return fail(lastLine ? `${how}: ${lastLine}` : how);
}

export async function checkLog(pattern: string, ctx: ProbeContext): Promise<CheckResult> {
  if (!ctx.logFile) return fail('no log file to read');
  let compiled;
  try {
    compiled = await compileLinePattern(pattern);
  } catch (error) {
    return { ok: false, reason: `invalid pattern: ${(error as Error).message}`, final: true };
  }
  const cursor = ctx.logCursor ?? newLogCursor(ctx.logOffset ?? 0);
  const seen = await scanLog(ctx.logFile, cursor, compiled, monotonicMs() + ctx.timeoutMs);
  return seen === 'seen' ? ok : fail('not seen in the log yet');
}

/** One attempt of a check; an expected failure is a value. */
export function runCheck(check: ProbeCheck, ctx: ProbeContext): Promise<CheckResult> {
  switch (check.kind) {
    case 'tcp':
      return checkTcp(check.host, check.port, ctx);
    case 'http':
      return checkHttp(check.url, ctx);
    case 'exec':
      return checkExec(check.argv, ctx);
    case 'log':
      return checkLog(check.pattern, ctx);
  }
}
