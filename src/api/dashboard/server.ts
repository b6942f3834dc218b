import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ExitCode, StackError } from '../../model/errors.js';
import { Gate, Refusal, withSecurityHeaders } from './auth.js';
import { Live } from './live.js';
import { DashError, Reply, StreamCount } from './reply.js';
import { ApiRoutes } from './routes.js';
import { DashRuns } from './runs.js';

export interface DashboardOptions {
  /** stack.yaml, resolved once. */
  file: string;
  /** 0: a free port. */
  port: number;
  /** The address to listen on (127.0.0.1). */
  listen: string;
  /** How this stack was started (`[node, bin/stack.cjs]`): verbs, plan and apply run it. */
  stack: readonly string[];
  /** Where the built front end is (`dist/dashboard/`: index.html, app.js, app.css). */
  assets: string;
}

export interface Dashboard {
  /** The URL to open, with its one-time token. */
  url: string;
  port: number;
  /** The address listened on, as bound (`--listen 0` or `localhost` resolved): `0.0.0.0` or `::` is every one. */
  address: string;
  close(): Promise<void>;
}

/** The pages the front end routes itself: each is its index.html. */
const PAGES = /^\/(services\/[^/]+|graph|plan|history)?$/;
const ASSETS: Readonly<Record<string, string>> = {
  '/assets/app.js': 'text/javascript; charset=utf-8',
  '/assets/app.css': 'text/css; charset=utf-8',
};

/**
 * `stack dashboard`'s server (docs/dashboard.md): the page and its API on one HTTP listener.
 * Every request names one of our hosts and, once the printed URL's token was spent, carries the
 * session cookie; every POST its CSRF token. Everything sent passes the stack's redactor.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const live = new Live(options.file);
  await live.start();
  const runs = new DashRuns(options.file, options.stack);
  const routes = new ApiRoutes(live, runs);
  const holder: { gate?: Gate } = {};
  const streams = new StreamCount();
  // Nothing is answered before the gate knows the port (the Host every request must name).
  const server = createServer((request, response) => (holder.gate ? void handle(request, response, { gate: holder.gate, routes, live, streams, assets: options.assets }) : response.destroy()));
  const { port, address } = await listen(server, options.port, options.listen).catch(async (error: unknown) => {
    await live.stop();
    throw error;
  });
  // Judged by the address bound, not by how it was written (`--listen 0` is 0.0.0.0).
  const wildcard = isWildcard(address);
  const gate = (holder.gate = new Gate(port, wildcard ? [address] : [options.listen, address]));
  // A wildcard is no address to open: this machine's loopback is.
  const opened = wildcard ? '127.0.0.1' : options.listen;
  const host = opened.includes(':') ? `[${opened}]` : opened;
  return {
    url: `http://${host}:${port}/?token=${gate.oneTimeToken ?? ''}`,
    port,
    address,
    async close() {
      await live.stop();
      await runs.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** What every request is answered with: one dashboard's gate, routes, live state, streams and front end. */
interface Served {
  gate: Gate;
  routes: ApiRoutes;
  live: Live;
  streams: StreamCount;
  assets: string;
}

async function handle(request: IncomingMessage, response: ServerResponse, { gate, routes, live, streams, assets }: Served): Promise<void> {
  withSecurityHeaders(response);
  const reply = new Reply(response, live.redact, streams);
  try {
    gate.checkPlace(request);
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const method = request.method ?? 'GET';
    const token = url.searchParams.get('token');
    // Only a GET spends the token: a link checker's HEAD must not sign itself in.
    if (url.pathname === '/' && token !== null && method === 'GET') return signIn(gate, token, request, response);
    const csrf = gate.session(request);
    if (url.pathname.startsWith('/api/')) {
      response.setHeader('cache-control', 'no-store');
      if (method !== 'GET') gate.checkPost(request);
      return await routes.handle(method, url.pathname, { request, reply, url, csrf });
    }
    if (method !== 'GET' && method !== 'HEAD') throw new DashError(405, `method not allowed: ${method} ${url.pathname}`);
    const type = ASSETS[url.pathname];
    if (type) return await sendFile(response, join(assets, url.pathname.slice('/assets/'.length)), type);
    if (PAGES.test(url.pathname)) return await sendPage(response, assets, reply.bootText(routes.boot(csrf)));
    throw new DashError(404, `no such page: ${url.pathname}`);
  } catch (error) {
    if (error instanceof Refusal) return refuse(response, error);
    reply.fail(error);
  }
}

/** The printed URL's token: a session cookie and a redirect to the page without it; spent. A browser signed in already (the link opened again) goes to the page. */
function signIn(gate: Gate, token: string, request: IncomingMessage, response: ServerResponse): void {
  const cookie = gate.redeem(token);
  if (!cookie && !gate.signedIn(request)) return refuse(response, new Refusal(401, 'this link was used already: run `stack dashboard` again for a new one'));
  const headers = { ...(cookie ? { 'set-cookie': cookie } : {}), 'cache-control': 'no-store' };
  // Clicked on another site's page, the redirect would be of that site too: the SameSite cookie stays home.
  // A page of our own that goes on to `/` is a navigation from this origin (a meta refresh: no script).
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(SIGNED_IN) });
    return void response.end(SIGNED_IN);
  }
  response.writeHead(303, { ...headers, location: '/' });
  response.end();
}

const SIGNED_IN = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=/"><title>stack dashboard</title></head>
<body><p>Signed in: <a href="/">open the dashboard</a>.</p></body></html>
`;

/** One line for people; a page, as the browser shows it. */
function refuse(response: ServerResponse, refusal: Refusal): void {
  response.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`${refusal.message}\n`);
}

async function sendFile(response: ServerResponse, path: string, type: string): Promise<void> {
  const body = await readFile(path).catch(() => undefined);
  if (body === undefined) throw new DashError(404, `the front end is not built (${path} is missing): npm run build`);
  response.writeHead(200, { 'content-type': type, 'content-length': body.length });
  response.end(body);
}

/** index.html, with the page's boot data (a JSON script element: the CSP runs no inline script) before `</head>`. */
async function sendPage(response: ServerResponse, assets: string, boot: string): Promise<void> {
  const built = await readFile(join(assets, 'index.html'), 'utf8').catch(() => undefined);
  const page = built?.replace('</head>', `  <script type="application/json" id="stack-boot">${boot}</script>\n</head>`);
  const body = Buffer.from(page ?? NOT_BUILT);
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
  response.end(body);
}

/** Served when dist/dashboard/ is missing: the API works, the page does not exist yet. */
const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stack dashboard</title></head>
<body><h1>stack dashboard</h1><p>The dashboard's front end is not built: run <code>npm run build</code>, then <code>stack dashboard</code> again. The API answers under <code>/api/v1/</code>.</p></body></html>
`;

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The port and address listened on; a port in use or an address not ours is one line (exit 1). */
function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      // Port 0 is "a free one": not worth saying.
      const where = port === 0 ? host : `${host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new StackError(ExitCode.actionFailed, `cannot listen on ${where}: the port is in use`, { hint: 'choose another with --port, or leave --port out for a free one' }));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') reject(new StackError(ExitCode.actionFailed, `cannot listen on ${where}: not an address of this machine`, { hint: '--listen takes one of its addresses (127.0.0.1 by default)' }));
      else reject(new StackError(ExitCode.actionFailed, `cannot listen on ${where}: ${error.message}`));
    });
    // An empty host is every address to node: never what `--listen ""` (an unset variable) meant.
    if (host.trim() === '') return reject(new StackError(ExitCode.actionFailed, '--listen takes an address, not ""', { hint: 'leave --listen out for 127.0.0.1; 0.0.0.0 for every address' }));
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
