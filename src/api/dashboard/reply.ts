import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExitCode, StackError } from '../../model/errors.js';
import { redactedJson } from '../../model/redact-deep.js';
import { MAX_BUFFERED } from '../server-http.js';
import type { DashErrorBody } from './protocol.js';

/** A body the page posts is a few bytes (`{ planHash }`, `{ commit }`). */
const MAX_BODY = 64 * 1024;
/** Event streams open at once: a browser opens at most six to one host, a tab one or two. */
const MAX_STREAMS = 64;
/** A comment line this often keeps an idle event stream open through proxies and tells a dead page. */
const HEARTBEAT_MS = 15_000;

/** A failure answered with `status`; `code` is the exit code the CLI would give. */
export class DashError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: number = ExitCode.actionFailed,
  ) {
    super(message);
  }
}

/** The HTTP status of a StackError, by its exit code (as the controller's API answers). */
export function statusOfCode(code: number): number {
  if (code === ExitCode.serviceNotFound) return 404;
  if (code === ExitCode.invalidConfig || code === ExitCode.noStackFile) return 422;
  if (code === ExitCode.locked) return 409;
  if (code === ExitCode.providerUnavailable) return 503;
  return 400;
}

/** The event streams open now, shared by every Reply of one dashboard: each holds a follower and its buffer. */
export class StreamCount {
  open = 0;
  constructor(readonly max = MAX_STREAMS) {}
}

/** Answers to one request; every string sent passes `redact`, field by field (never over serialized JSON). */
export class Reply {
  constructor(
    readonly response: ServerResponse,
    private readonly redact: (text: string) => string,
    private readonly streams: StreamCount = new StreamCount(),
  ) {}

  /** `body` as the page's boot data: redacted, and `<` escaped so that no text ends the script element. */
  bootText(body: object): string {
    return redactedJson(body, this.redact).replaceAll('<', '\\u003c');
  }

  json(status: number, body: object): void {
    const text = redactedJson(body, this.redact);
    this.response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    this.response.end(text);
  }

  fail(error: unknown): void {
    if (this.response.headersSent) {
      this.response.destroy();
      return;
    }
    const { status, message, code } = describe(error);
    const body: DashErrorBody = { formatVersion: 1, error: { message, code } };
    this.json(status, body);
  }

  /**
   * An event stream: `send` one event, `sendAll` events handed over together (a log's tail); the
   * stream ends when the page goes (`gone`), or is dropped when it reads more slowly than events
   * come: more than MAX_BUFFERED waiting from before a batch, as the controller's API drops one
   * (server-http.ts), not a page handed a large tail at once. 429 when too many are open.
   */
  events(): { send: (event: string, data: object) => void; sendAll: (event: string, data: readonly object[]) => void; gone: AbortSignal } {
    const streams = this.streams;
    if (streams.open >= streams.max) throw new DashError(429, `${streams.max} event streams are open already: close some of the dashboard's tabs`);
    const going = new AbortController();
    const response = this.response;
    streams.open += 1;
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    response.write(': stack dashboard\n\n');
    const heartbeat = setInterval(() => response.write(': ping\n\n'), HEARTBEAT_MS);
    response.once('close', () => {
      streams.open -= 1;
      clearInterval(heartbeat);
      going.abort();
    });
    // The largest batch handed over since the buffer last held no more than MAX_BUFFERED: forgiven until it drains.
    let allowance = 0;
    const sendAll = (event: string, data: readonly object[]) => {
      if (going.signal.aborted || data.length === 0) return;
      const waiting = response.writableLength;
      if (waiting - allowance > MAX_BUFFERED) {
        response.destroy();
        return;
      }
      if (waiting <= MAX_BUFFERED) allowance = 0;
      const text = data.map((each) => `event: ${event}\ndata: ${redactedJson(each, this.redact)}\n\n`).join('');
      allowance = Math.max(allowance, Buffer.byteLength(text));
      response.write(text);
    };
    return { send: (event, data) => sendAll(event, [data]), sendAll, gone: going.signal };
  }
}

/** The JSON body of a POST; `{}` when there is none. */
export async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new DashError(413, 'the request body is too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DashError(400, 'the request body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new DashError(400, 'the request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function describe(error: unknown): { status: number; message: string; code: number } {
  if (error instanceof DashError) return { status: error.status, message: error.message, code: error.code };
  if (error instanceof StackError) return { status: statusOfCode(error.code), message: error.hint ? `${error.message} (${error.hint})` : error.message, code: error.code };
  return { status: 500, message: error instanceof Error ? error.message : String(error), code: ExitCode.actionFailed };
}
