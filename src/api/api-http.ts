import { request, type IncomingMessage } from 'node:http';
import { relative } from 'node:path';
import { ExitCode, StackError } from '../model/errors.js';
import type { ErrorBody } from './protocol.js';

/*
 * HTTP over the controller's Unix socket (docs/api.md, "Transport"): one request, its JSON body
 * or its NDJSON lines, and the three ways it can fail that a caller tells apart: the controller
 * answered with an error (a StackError with its exit code), no controller listens (NoController),
 * or one accepted the connection and said nothing (ControllerSilent: stopped, SIGSTOP).
 */

/** Nobody listens on the socket (no file, or a file a dead controller left): work without one. */
export class NoController extends StackError {
  constructor(readonly socketPath: string, reason: string) {
    super(ExitCode.actionFailed, `no controller answers on ${shown(socketPath)} (${reason})`, { hint: '`stack up` or `stack watch` starts one' });
    this.name = 'NoController';
  }
}

/** The controller answers but does not serve this route (an older one): the caller works as without its API. */
export class NoRoute extends StackError {
  constructor(readonly route: string) {
    super(ExitCode.actionFailed, `the controller does not serve ${route} (an older stack?)`);
    this.name = 'NoRoute';
  }
}

/** The controller accepted the connection but did not answer in time (stopped, or stuck). */
export class ControllerSilent extends StackError {
  constructor(readonly socketPath: string, readonly timeoutMs: number) {
    super(ExitCode.actionFailed, `the controller does not answer on ${shown(socketPath)} (nothing within ${timeoutMs / 1000} s)`);
    this.name = 'ControllerSilent';
  }
}

/** `.stack/api.sock` from the working folder, where that is shorter. */
function shown(socketPath: string): string {
  const near = relative(process.cwd(), socketPath);
  return near.length < socketPath.length && !near.startsWith('../..') ? near : socketPath;
}

export interface CallOptions {
  socketPath: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /**
   * Until the controller says it answers: the response's status line, or the `102 Processing`
   * a route that waits for the controller's turn sends first. A stopped controller sends neither.
   */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Sends one request; resolves with a response whose status is below 400, rejects as the header says. */
export function call(options: CallOptions): Promise<IncomingMessage> {
  const { socketPath, timeoutMs, signal } = options;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const sent = request({
      socketPath,
      // A connection per call: a kept-alive one the controller closed as it stopped would fail the next call with EPIPE, not NoController.
      agent: false,
      method: options.method,
      path: options.path,
      signal,
      headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    const timer = setTimeout(() => {
      sent.destroy();
      reject(new ControllerSilent(socketPath, timeoutMs));
    }, timeoutMs);
    // Busy (a pass or another run holds the turn), not stopped: the answer comes when it comes.
    sent.once('information', () => clearTimeout(timer));
    sent.once('response', (response) => {
      clearTimeout(timer);
      if ((response.statusCode ?? 500) < 400) return resolve(response);
      readText(response).then((text) => {
        const error = errorOf(response.statusCode ?? 500, text);
        reject(response.statusCode === 404 && error.code !== ExitCode.serviceNotFound ? new NoRoute(`${options.method} ${options.path.split('?')[0]}`) : error);
      }, reject);
    });
    sent.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const gone = error.code === 'ECONNREFUSED' || error.code === 'ENOENT' || error.code === 'ENOTSOCK';
      reject(gone ? new NoController(socketPath, error.code as string) : error);
    });
    sent.end(payload);
  });
}

/** The body of an answer, within `timeoutMs` of its status line (a JSON body is written whole, at once). */
export async function callJson<T>(options: CallOptions): Promise<T> {
  const response = await call(options);
  const timer = setTimeout(() => response.destroy(new ControllerSilent(options.socketPath, options.timeoutMs)), options.timeoutMs);
  try {
    return JSON.parse(await readText(response)) as T;
  } finally {
    clearTimeout(timer);
  }
}

export async function readText(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk as string;
  return text;
}

/** One object per line of an NDJSON body; leaving the loop early closes the connection. */
export async function* readLines<T>(response: IncomingMessage): AsyncGenerator<T> {
  response.setEncoding('utf8');
  let pending = '';
  try {
    for await (const chunk of response) {
      pending += chunk as string;
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.trim()) yield JSON.parse(line) as T;
      }
    }
  } catch (error) {
    // Cut before its end: the controller closed, or dropped this client for reading too slowly.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
    throw new StackError(ExitCode.actionFailed, 'the controller ended the stream before its end (it closed, or this client read too slowly)', { hint: '`stack status` says whether it still runs' });
  } finally {
    response.destroy();
  }
}

function errorOf(status: number, text: string): StackError {
  try {
    const { error } = JSON.parse(text) as ErrorBody;
    return new StackError(error.exitCode as ExitCode, error.message, error.hint === undefined ? {} : { hint: error.hint });
  } catch {
    return new StackError(ExitCode.actionFailed, `the controller answered ${status}: ${text.trim().slice(0, 200)}`);
  }
}
