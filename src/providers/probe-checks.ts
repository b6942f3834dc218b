import net from 'node:net';
import type { ProbeCheck } from '../config/types.js';
import { readLogFrom } from './process/logs.js';
import { runCommand } from './runner.js';
import type { ProbeResult } from './types.js';

/** What one probe attempt may use. */
export interface ProbeContext {
  /** Bound on this one attempt. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** The service's log file and where this run's output begins (for `log` checks). */
  logFile?: string | undefined;
  logOffset?: number | undefined;
  /** Where `exec` checks run, and the env they add (the service's). */
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  verbose?: ((line: string) => void) | undefined;
}

const ok: ProbeResult = { ok: true };
const fail = (reason: string): ProbeResult => ({ ok: false, reason });

const errnoReasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (temporary)',
  ETIMEDOUT: 'timed out',
};

/** A short reason for a network error, e.g. `connection refused`. */
export function describeNetworkError(error: unknown): string {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === 'string') return errnoReasons[code] ?? code;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  return error instanceof Error ? error.message : String(error);
}

export function checkTcp(host: string, port: number, ctx: ProbeContext): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (result: ProbeResult): void => {
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

export async function checkHttp(url: string, ctx: ProbeContext): Promise<ProbeResult> {
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

export async function checkExec(argv: readonly string[], ctx: ProbeContext): Promise<ProbeResult> {
  const result = await runCommand(argv, {
    cwd: ctx.cwd,
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    verbose: ctx.verbose,
  });
  if (result.spawnError) return fail(`cannot run: ${result.spawnError}`);
  if (result.timedOut) return fail('timed out');
  if (result.exitCode === 0) return ok;
  const lastLine = (result.stderr || result.stdout).trim().split('\n').at(-1)?.trim();
  const how = result.exitCode === null ? 'was killed' : `exited with code ${result.exitCode}`;
  return fail(lastLine ? `${how}: ${lastLine}` : how);
}

export async function checkLog(pattern: string, ctx: ProbeContext): Promise<ProbeResult> {
  if (!ctx.logFile) return fail('no log file to read');
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'm');
  } catch (error) {
    return fail(`invalid pattern: ${(error as Error).message}`);
  }
  const text = await readLogFrom(ctx.logFile, ctx.logOffset ?? 0);
  return regex.test(text) ? ok : fail('not seen in the log yet');
}

/** One attempt of a check; an expected failure is a value. */
export function runCheck(check: ProbeCheck, ctx: ProbeContext): Promise<ProbeResult> {
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
