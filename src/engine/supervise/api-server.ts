import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { chmod, rm } from 'node:fs/promises';
import { ExitCode } from '../../model/errors.js';
import type { StatusRow } from '../../reconcile/status-rows.js';
import type { PoolEvent } from './service-pool.js';

/** What the API reads from and asks of the controller that serves it. */
export interface ApiSource {
  project(): string;
  /** The controller's known state of every service: no probe, no /proc scan. */
  status(): StatusRow[];
  /** Wall time in ISO, for the events' `at`. */
  nowIso(): string;
  /** The stack's redactor as of now: every text the API sends passes it. */
  redact(text: string): string;
  /** Ends the controller as SIGTERM would; called after the answer is sent. */
  stop(): void;
}

/** The name of the socket in `.stack/` (docs/api.md); named with the other state paths. */
export { API_SOCKET } from '../../state/paths.js';

/**
 * The controller's local API (docs/api.md): HTTP/1.1 on a Unix socket in `.stack/`, mode 0600.
 * Followers of `/v1/events` get every pool event as one NDJSON line, redacted.
 */
export class ApiServer {
  private readonly followers = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly socketPath: string,
    private readonly source: ApiSource,
  ) {}

  static async listen(socketPath: string, source: ApiSource): Promise<ApiServer> {
    await replaceStaleSocket(socketPath);
    const api: { server?: ApiServer } = {};
    const server = createServer((request, response) => api.server?.handle(request, response));
    api.server = new ApiServer(server, socketPath, source);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // .stack/ is the owner's; the socket too (created with the umask's mode, narrowed at once).
    await chmod(socketPath, 0o600);
    return api.server;
  }

  /** Tells every follower of `/v1/events`. */
  event(event: PoolEvent): void {
    if (this.followers.size === 0) return;
    const line = `${this.source.redact(JSON.stringify({ formatVersion: 1, at: this.source.nowIso(), ...event }))}\n`;
    for (const follower of this.followers) follower.write(line);
  }

  async close(): Promise<void> {
    for (const follower of this.followers) follower.end();
    this.followers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    await rm(this.socketPath, { force: true });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://stack');
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    try {
      if (route === 'GET /v1/status') return this.status(response, url.searchParams.getAll('service'));
      if (route === 'GET /v1/events') return this.follow(request, response);
      if (route === 'POST /v1/stop') {
        send(response, 202, { formatVersion: 1, stopping: true }, this.source.redact);
        response.once('finish', () => this.source.stop());
        return;
      }
      const known = ['/v1/status', '/v1/events', '/v1/stop'].includes(url.pathname);
      fail(response, known ? 405 : 404, `${known ? 'method not allowed' : 'no such route'}: ${route}`, ExitCode.actionFailed, this.source.redact);
    } catch (error) {
      fail(response, 500, error instanceof Error ? error.message : String(error), ExitCode.actionFailed, this.source.redact);
    }
  }

  private status(response: ServerResponse, names: string[]): void {
    const services = this.source.status().filter((row) => names.length === 0 || names.includes(row.name));
    send(response, 200, { formatVersion: 1, project: this.source.project(), controller: { pid: process.pid }, services }, this.source.redact);
  }

  private follow(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    // The first line says the client follows: every event after it reaches it.
    this.followers.add(response);
    response.write(`${JSON.stringify({ formatVersion: 1, at: this.source.nowIso(), type: 'following', pid: process.pid })}\n`);
    // A client that goes away costs nothing more: it is forgotten.
    const forget = (): void => void this.followers.delete(response);
    request.once('close', forget);
    response.once('close', forget);
  }
}

function send(response: ServerResponse, status: number, body: unknown, redact: (text: string) => string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${redact(JSON.stringify(body))}\n`);
}

function fail(response: ServerResponse, status: number, message: string, exitCode: number, redact: (text: string) => string): void {
  send(response, status, { formatVersion: 1, error: { message, exitCode } }, redact);
}

/**
 * A socket file left by a controller that died (SIGKILL) is removed; one that answers is left,
 * and listening then fails with EADDRINUSE. The caller holds the lock, so none should answer.
 */
async function replaceStaleSocket(socketPath: string): Promise<void> {
  const answers = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (!answers) await rm(socketPath, { force: true });
}
