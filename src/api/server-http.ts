import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExitCode, StackError } from '../model/errors.js';
import { redactedJson } from '../model/redact-deep.js';
import type { ErrorBody } from './protocol.js';

/**
 * A client that reads a stream more slowly than the controller writes it is dropped once this
 * much waits in its socket's buffer: a stuck follower must not grow the controller's memory
 * without bound (docs/api.md). A few MB is many seconds of any stack's events or logs.
 */
export const MAX_BUFFERED = 4 * 1024 * 1024;

/** A body is a few kB (a saved plan of many services: tens); more is not one of ours. */
const MAX_BODY = 8 * 1024 * 1024;

/** What the request targets are relative to: the socket has no host. */
const ORIGIN = 'http://stack';

/** A line of an NDJSON stream as a route writes it: `formatVersion` is added when it is sent. */
export type LineOf<T> = T extends unknown ? Omit<T, 'formatVersion'> : never;

/** A failure answered with `status`; `exitCode` is what the CLI exits with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The HTTP status a StackError is answered with, by its exit code (docs/api.md, "Errors"). */
function statusOf(code: number): number {
  if (code === ExitCode.serviceNotFound) return 404;
  if (code === ExitCode.invalidConfig || code === ExitCode.noStackFile) return 422;
  if (code === ExitCode.locked) return 409;
  if (code === ExitCode.providerUnavailable) return 503;
  return 400;
}

export function errorBody(error: unknown): { status: number; body: ErrorBody } {
  const reply = (status: number, message: string, exitCode: number, hint?: string) => ({ status, body: { formatVersion: 1 as const, error: { message, exitCode, ...(hint ? { hint } : {}) } } });
  if (error instanceof ApiError) return reply(error.status, error.message, error.exitCode, error.hint);
  if (error instanceof StackError) return reply(statusOf(error.code), error.message, error.code, error.hint);
  return reply(500, error instanceof Error ? error.message : String(error), ExitCode.actionFailed);
}

/**
 * One request and its answer: a JSON body, or an NDJSON stream of lines. Everything sent passes
 * `redact` field by field. `gone` aborts when the client goes before the answer ended: a run it
 * asked for is interrupted, a follow ends.
 */
export class Exchange {
  /** The request's target; `/` when it is none a URL parser takes (`badTarget`). */
  readonly url: URL;
  readonly badTarget: boolean;
  private readonly going = new AbortController();
  /** The largest batch handed over since the socket's buffer last held no more than MAX_BUFFERED: forgiven until it drains. */
  private allowance = 0;

  constructor(
    readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    /** The stack's redactor now (it follows stack.yaml's edits). */
    private readonly redactor: () => (text: string) => string,
  ) {
    // Never thrown: a throw here would leave the server's request handler and end the controller.
    this.badTarget = !URL.canParse(request.url ?? '/', ORIGIN);
    this.url = new URL(this.badTarget ? '/' : (request.url ?? '/'), ORIGIN);
    response.once('close', () => {
      if (!response.writableFinished) this.going.abort();
    });
  }

  get gone(): AbortSignal {
    return this.going.signal;
  }

  get streaming(): boolean {
    return this.response.headersSent;
  }

  json(status: number, body: unknown): void {
    this.jsonText(status, redactedJson(body, this.redactor()));
  }

  /** An answer already written as JSON (and redacted) by the caller. */
  jsonText(status: number, text: string): void {
    this.response.writeHead(status, { 'content-type': 'application/json' });
    this.response.end(`${text}\n`);
  }

  /** Answers with the error's status and ErrorBody; a stream already begun ends with an `error` line instead. */
  fail(error: unknown): void {
    if (this.response.writableEnded || this.response.destroyed) return;
    const { status, body } = errorBody(error);
    if (this.streaming) this.end({ formatVersion: 1, type: 'error', error: body.error });
    else this.json(status, body);
  }

  /**
   * `102 Processing` at once, before a route waits for the controller's turn (a pass or another
   * run may hold it for long): the client knows a busy controller from a stopped one (SIGSTOP),
   * which sends nothing. Not to HTTP/1.0 clients (the fast status), which know no interim answer.
   */
  processing(): void {
    if (this.request.httpVersion !== '1.0' && !this.response.headersSent) this.response.writeProcessing();
  }

  /** Begins an NDJSON answer. */
  stream(): void {
    this.response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    // The head goes at once: a client waiting for its first line knows it is answered.
    this.response.flushHeaders();
  }

  /** Calls `then` once the answer was handed to the socket whole. */
  onSent(then: () => void): void {
    this.response.once('finish', then);
  }

  /** One line of the stream; a client too slow to read is dropped (MAX_BUFFERED). */
  line(body: object): void {
    this.lines([body]);
  }

  /**
   * Lines sent together (a log's tail, what a follow read). The client is dropped when more than
   * MAX_BUFFERED still waits from before them: one that does not read, not one handed a large
   * batch at once (a tail of 100,000 short lines is 7 MB of NDJSON), nor the line right after it.
   */
  lines(bodies: readonly object[]): void {
    if (this.gone.aborted || this.response.writableEnded || this.response.destroyed) return;
    // A large batch handed over has had no time to drain: only what waits beyond it counts.
    const waiting = this.response.writableLength;
    if (waiting - this.allowance > MAX_BUFFERED) return void this.response.destroy();
    if (waiting <= MAX_BUFFERED) this.allowance = 0;
    const redact = this.redactor();
    const text = bodies.map((body) => `${redactedJson(body, redact)}\n`).join('');
    this.allowance = Math.max(this.allowance, Buffer.byteLength(text));
    this.response.write(text);
  }

  end(body?: object): void {
    if (body) this.line(body);
    if (!this.response.writableEnded && !this.response.destroyed) this.response.end();
  }

  /** The request's JSON body (`{}` when empty); 400, exit 1, when it is not JSON. */
  async body(): Promise<unknown> {
    let text = '';
    this.request.setEncoding('utf8');
    for await (const chunk of this.request) {
      text += chunk as string;
      if (text.length > MAX_BODY) throw new ApiError(413, 'the request body is too large', ExitCode.actionFailed);
    }
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ApiError(400, `the request body is not JSON: ${error instanceof Error ? error.message : String(error)}`, ExitCode.actionFailed);
    }
  }
}
