import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DashPlanBody, DashStatus, DiffJson, EventBody, FileHistory, RunResultBody, ServiceHistory, SessionBody, StatusRow } from '../../src/api/dashboard/protocol.js';

// The dashboard's routes (docs/dashboard.md) served from fixed JSON and a stream the test drives,
// with the built page from dist/dashboard/ and the page's real CSP: enough to hold the front end
// to the contract in a real browser before the real server is in the same branch.

export const CSRF = 'csrf-token-of-this-session';
const DIST = new URL('../../dist/dashboard/', import.meta.url);
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const PAGES = /^\/(services(\/[^/]+)?|graph|plan|history)?\/?$/;

export function row(name: string, fields: Partial<StatusRow> = {}): StatusRow {
  return { name, provider: 'process', enabled: true, desired: 'running', observed: 'running', pid: 1000 + name.length, since: '2026-01-01T00:00:00Z', restarts: 0, health: 'none', ports: [], ...fields };
}

/** db ← api ← web: three services, two edges. */
export function threeServices(): DashStatus {
  return {
    formatVersion: 1,
    project: 'demo',
    services: [row('db', { ports: [5432], portsOpen: [true] }), row('api'), row('web', { ports: [8080] })],
    dependsOn: { db: [], api: ['db'], web: ['api'] },
    pending: 0,
    pendingServices: [],
    source: 'controller',
  };
}

export interface Posted {
  path: string;
  csrf: string | undefined;
  origin: string | undefined;
  body: unknown;
}

export interface FakeBackend {
  url: string;
  posted: Posted[];
  /** The query of each `/api/v1/logs` request. */
  logRequests: string[];
  /** Every request's path and query, in order. */
  requests: string[];
  /** Open `/api/v1/stream` connections. */
  streams: Set<ServerResponse>;
  /** Sends `event: status` with `status` to every open stream. */
  sendStatus(status: DashStatus): void;
  /** Sends `event: event` (a controller event) to every open stream. */
  sendEvent(body: EventBody): void;
  close(): Promise<void>;
}

export async function startFakeBackend(status: DashStatus = threeServices()): Promise<FakeBackend> {
  const posted: Posted[] = [];
  const logRequests: string[] = [];
  const requests: string[] = [];
  const streams = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => send(response, 500, { formatVersion: 1, error: { message: error.message, code: 1 } }));
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname;
    requests.push(path + url.search);
    if (request.method === 'POST') {
      const body = JSON.parse((await readBody(request)) || '{}') as unknown;
      posted.push({ path, csrf: header(request, 'x-stack-csrf'), origin: header(request, 'origin'), body });
      if (header(request, 'x-stack-csrf') !== CSRF) return send(response, 403, { formatVersion: 1, error: { message: 'no CSRF token', code: 1 } });
      const result: RunResultBody = { formatVersion: 1, exitCode: 0, lines: [`done: ${path}`] };
      return send(response, 200, result);
    }
    if (PAGES.test(path)) return file(response, 'index.html', 'text/html; charset=utf-8');
    if (path === '/assets/app.js') return file(response, 'app.js', 'text/javascript; charset=utf-8');
    if (path === '/assets/app.css') return file(response, 'app.css', 'text/css; charset=utf-8');
    if (path === '/api/v1/session') return send(response, 200, { formatVersion: 1, project: 'demo', stackFile: '/srv/demo/stack.yaml', csrf: CSRF, controller: { pid: 4242 } } satisfies SessionBody);
    if (path === '/api/v1/status') return send(response, 200, status);
    if (path === '/api/v1/stream') {
      openStream(response);
      streams.add(response);
      response.on('close', () => streams.delete(response));
      return;
    }
    if (path === '/api/v1/logs') {
      logRequests.push(url.search);
      openStream(response);
      const lines = [
        { text: 'listening on 8080', stream: 'stdout', at: '2026-01-02T10:00:00.000000Z' },
        { text: 'GET / 200', stream: 'stdout', at: '2026-01-02T10:00:01.000000Z' },
        { text: 'GET /health 200', stream: 'stdout', at: '2026-01-02T10:00:02.000000Z' },
        { text: 'GET /missing 404', stream: 'stderr', at: '2026-01-02T10:00:03.250000Z' },
      ];
      for (const line of lines) event(response, 'line', line);
      return event(response, 'caught-up', {});
    }
    const history = /^\/api\/v1\/services\/([^/]+)\/history$/.exec(path);
    if (history) return send(response, 200, serviceHistory(decodeURIComponent(history[1] ?? '')));
    if (path === '/api/v1/plan') return send(response, 200, plan());
    if (path === '/api/v1/history') return send(response, 200, fileHistory());
    send(response, 404, { formatVersion: 1, error: { message: `no route ${path}`, code: 1 } });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posted,
    logRequests,
    requests,
    streams,
    sendStatus: (next) => {
      for (const stream of streams) event(stream, 'status', next);
    },
    sendEvent: (body) => {
      for (const stream of streams) event(stream, 'event', body);
    },
    close: async () => {
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function plan(): DashPlanBody {
  const json = { formatVersion: 1 as const, project: 'demo', actions: [{ service: 'web', op: 'restart', reason: 'spec changed: env.PORT' }], summary: { install: 0, start: 0, restart: 1, stop: 0, uninstall: 0, unknown: 0 }, blocked: [] };
  return { ...json, planHash: 'hash-1', fieldDiffs: [{ service: 'web', op: 'restart', lines: ['env.PORT: "8080" → "8081"'] }] };
}

function serviceHistory(service: string): ServiceHistory {
  return {
    formatVersion: 1,
    service,
    exits: [{ at: '2026-01-02T10:00:00Z', code: 1, signal: null }],
    restarts: [{ at: '2026-01-02T10:00:01Z', attempt: 1, maxRestarts: 5 }],
    probes: [{ at: '2026-01-02T10:00:03Z', kind: 'ready', ok: true }],
    recorded: { restarts: 1, lastExit: { at: '2026-01-02T10:00:00Z', code: 1, signal: null }, gaveUp: false },
  };
}

function fileHistory(): FileHistory {
  return {
    formatVersion: 1,
    file: 'stack.yaml',
    commits: [
      { commit: 'a1b2c3d4e5f6', subject: 'web: port 8081', author: 'Ada', date: '2026-01-03T09:00:00Z', diff: diffOf('web', 'changed'), lines: ['  ~ web  changed: env.PORT', '      env.PORT: "8080" → "8081"'] },
      { commit: 'f6e5d4c3b2a1', subject: 'add web', author: 'Ada', date: '2026-01-02T09:00:00Z', diff: diffOf('web', 'added'), lines: ['  + web  added'] },
    ],
  };
}

/** `stack diff --json`'s body for one service added or with env.PORT changed. */
function diffOf(service: string, change: 'added' | 'changed'): DiffJson {
  const fields = change === 'changed' ? [{ field: 'env.PORT', sensitive: false, before: '8080', after: '8081' }] : [];
  const summary = { added: change === 'added' ? 1 : 0, removed: 0, enabled: 0, disabled: 0, started: 0, stopped: 0, changed: change === 'changed' ? 1 : 0 };
  return { formatVersion: 1, before: 'parent', after: 'commit', project: { before: 'demo', after: 'demo' }, services: [{ service, change, enabled: null, state: null, fields }], summary };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function file(response: ServerResponse, name: string, type: string): void {
  response.writeHead(200, { 'content-type': type, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' });
  response.end(readFileSync(new URL(name, DIST)));
}

function openStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  response.write('retry: 500\n\n');
}

function event(response: ServerResponse, name: string, data: unknown): void {
  response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
}
