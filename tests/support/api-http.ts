// HTTP over a stack's API socket (.stack/api.sock), with node:http alone: the server's tests
// speak the wire contract (src/api/protocol.ts) directly, whatever the client library does.
import { readdirSync, readlinkSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export const socketOf = (dir: string) => join(dir, '.stack', 'api.sock');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked by the tests' expectations
type Json = any;

function send(dir: string, method: string, path: string, body?: unknown): { sent: ClientRequest; response: Promise<IncomingMessage> } {
  const sent = request({ socketPath: socketOf(dir), method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    sent.once('response', resolve);
    sent.once('error', reject);
  });
  sent.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  return { sent, response };
}

async function readAll(response: IncomingMessage): Promise<string> {
  let text = '';
  response.setEncoding('utf8');
  for await (const chunk of response) text += chunk as string;
  return text;
}

/** One request with a JSON answer: its status and parsed body. A string `body` is sent as it is. */
export async function apiJson(dir: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await send(dir, method, path, body).response;
  const text = await readAll(response);
  return { status: response.statusCode ?? 0, body: JSON.parse(text) as Json };
}

/** An NDJSON answer as it comes: its lines so far, waits for one, or the end; `close()` goes away mid-stream. */
export interface ApiStream {
  status: number;
  contentType: string | undefined;
  lines: Json[];
  ended(): boolean;
  /** Waits for a line matching `match` (searched from the start) and returns it. */
  waitForLine(match: (line: Json) => boolean, timeoutMs?: number, what?: string): Promise<Json>;
  /** Resolves with every line once the server ended the answer. */
  done(timeoutMs?: number): Promise<Json[]>;
  close(): void;
}

export async function apiStream(dir: string, method: string, path: string, body?: unknown): Promise<ApiStream> {
  const { sent, response: responded } = send(dir, method, path, body);
  const response = await responded;
  const lines: Json[] = [];
  let pending = '';
  let ended = false;
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (line.trim()) lines.push(JSON.parse(line));
    }
  });
  response.once('end', () => (ended = true));
  response.once('close', () => (ended = true));
  const seen = () => JSON.stringify(lines);
  return {
    status: response.statusCode ?? 0,
    contentType: response.headers['content-type'],
    lines,
    ended: () => ended,
    waitForLine: (match, timeoutMs = 10_000, what = 'a line') =>
      waitFor(() => lines.find(match), timeoutMs, what).catch((error: Error) => {
        throw new Error(`${error.message}; lines so far: ${seen()}`);
      }),
    done: async (timeoutMs = 30_000) => {
      await waitFor(() => ended, timeoutMs, 'the end of the stream').catch((error: Error) => {
        throw new Error(`${error.message}; lines so far: ${seen()}`);
      });
      return lines;
    },
    close: () => {
      response.destroy();
      sent.destroy();
    },
  };
}

/** The sockets a process holds open: a client the server forgot or dropped is a socket closed. */
export function socketCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}
