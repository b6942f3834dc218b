import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { chmod, rm } from 'node:fs/promises';
import type { Controller } from '../engine/supervise/controller.js';
import { ExitCode } from '../model/errors.js';
import type { ApiAbility, EventBody, ServiceVerb, StackEvent, StatusBody } from './protocol.js';
import { ApiError, Exchange } from './server-http.js';
import { serveLogs } from './server-logs.js';
import { checkNames, Runs } from './server-runs.js';
import { redactedJson } from '../model/redact-deep.js';
import type { Redact } from '../model/redact.js';
import { liveColumnsOf, type StatusRow } from '../reconcile/status-rows.js';

/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

const VERBS: readonly ServiceVerb[] = ['start', 'stop', 'enable', 'disable', 'restart'];
const ABILITIES: readonly ApiAbility[] = ['restart-all', 'restart-rolling'];

/** How long a closing controller waits for the answers in flight (interrupted runs) to end before it cuts them. */
const ANSWERS_END_MS = 5000;

export interface ServeOptions {
  /** `POST /v1/stop`, after the answer is sent: ends the controller as SIGTERM would. */
  stop: () => void;
}

/**
 * Serves the controller's API on `.stack/api.sock` until it closes. Never throws: a stack too
 * deep for a socket path, or a socket that cannot be made, is one line in the controller's log,
 * and the controller goes on without an API (the CLI works daemonless).
 */
export async function serveApi(controller: Controller, options: ServeOptions): Promise<void> {
  const socketPath = controller.workspaceNow.paths.apiSocket;
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    controller.say(`no API: the socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes`);
    return;
  }
  try {
    const server = await ApiServer.listen(socketPath, controller, options);
    controller.onClose(() => server.close());
  } catch (error) {
    controller.say(`no API: cannot listen on ${socketPath}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The controller's local API (docs/api.md): HTTP/1.1 on a Unix socket in `.stack/`, mode 0600.
 * Every body it sends passes the stack's redactor, field by field.
 */
class ApiServer {
  private readonly runs: Runs;
  /** Each kept status row as JSON without its closing brace, for the rows and redactor it was made with. */
  private rowTexts?: { rows: readonly StatusRow[]; redact: Redact; texts: string[] };
  private readonly followers = new Set<() => void>();
  /** Each answer not yet ended, until its response closes. */
  private readonly answering = new Set<Promise<void>>();

  private constructor(
    private readonly server: Server,
    private readonly socketPath: string,
    private readonly controller: Controller,
    private readonly options: ServeOptions,
  ) {
    this.runs = new Runs(controller);
  }

  static async listen(socketPath: string, controller: Controller, options: ServeOptions): Promise<ApiServer> {
    await replaceStaleSocket(socketPath);
    const api: { server?: ApiServer } = {};
    const server = createServer((request, response) => api.server?.handle(request, response));
    api.server = new ApiServer(server, socketPath, controller, options);
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

  async close(): Promise<void> {
    for (const stop of this.followers) stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // The controller interrupted its runs as it began to close: each ends with its result (exit
    // 130), which reaches its client before the connections are cut.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(this.answering), new Promise((resolve) => (timer = setTimeout(resolve, ANSWERS_END_MS)))]);
    clearTimeout(timer);
    this.server.closeAllConnections();
    await closed;
    await rm(this.socketPath, { force: true });
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const answered = new Promise<void>((resolve) => response.once('close', resolve));
    this.answering.add(answered);
    void answered.then(() => this.answering.delete(answered));
    // The secrets the file declares now, looked up for each text as it is sent.
    const exchange = new Exchange(request, response, () => this.controller.redact);
    this.route(exchange, request.method ?? 'GET', exchange.url.pathname).catch((error: unknown) => exchange.fail(this.controller.signal.aborted ? new ApiError(503, 'the controller is stopping', ExitCode.actionFailed) : error));
  }

  private async route(exchange: Exchange, method: string, path: string): Promise<void> {
    if (exchange.badTarget) throw new ApiError(400, `the request target is not a path: ${exchange.request.url ?? ''}`, ExitCode.actionFailed);
    const verb = /^\/v1\/services\/([^/]+)$/.exec(path)?.[1] as ServiceVerb | undefined;
    const routes: Record<string, Partial<Record<string, () => Promise<void> | void>>> = {
      '/v1/status': { GET: () => this.status(exchange) },
      '/v1/plan': { GET: () => this.runs.plan(exchange) },
      '/v1/apply': { POST: () => this.runs.apply(exchange) },
      '/v1/logs': { GET: () => serveLogs(this.controller, exchange) },
      '/v1/events': { GET: () => this.follow(exchange) },
      '/v1/stop': { POST: () => this.stop(exchange) },
      ...(verb && VERBS.includes(verb) ? { [path]: { POST: () => this.runs.verb(exchange, verb) } } : {}),
    };
    const route = routes[path];
    if (!route) throw new ApiError(404, `no such route: ${method} ${path}`, ExitCode.actionFailed);
    const handler = route[method];
    if (!handler) throw new ApiError(405, `method not allowed: ${method} ${path} (${Object.keys(route).join(', ')})`, ExitCode.actionFailed);
    await handler();
  }

  /**
   * From what the controller knows: no probe, no /proc scan. A name it does not know is 404 (exit
   * 4), as `stack status nope`. Written as the StatusBody JSON.stringify would write, from each
   * kept row's JSON (made once per rows and redactor) and its live columns: with 1,000 services,
   * copying and writing every row on every answer was ~7 ms of it.
   */
  private status(exchange: Exchange): void {
    const names = checkNames(this.controller.current, this.controller.applied(), exchange.url.searchParams.getAll('service'));
    const { rows, live } = this.controller.knownStatus();
    const redact = this.controller.redact;
    const texts = this.rowTexts?.rows === rows && this.rowTexts.redact === redact ? this.rowTexts.texts : rows.map((row) => redactedJson(row, redact).slice(0, -1));
    this.rowTexts = { rows, redact, texts };
    const services = rows.flatMap((row, index) => (names.length === 0 || names.includes(row.name) ? [`${texts[index]}${closingJson(liveColumnsOf(row, live), redact)}`] : []));
    const stackFileError = this.controller.stackFileError;
    const head: Omit<StatusBody, 'services'> = { formatVersion: 1, project: this.controller.current.project, controller: { pid: process.pid, can: [...ABILITIES] } };
    const tail = stackFileError ? `,"stackFileError":${redactedJson(stackFileError, redact)}` : '';
    exchange.jsonText(200, `${redactedJson(head, redact).slice(0, -1)},"services":[${services.join(',')}]${tail}}`);
  }

  private stop(exchange: Exchange): void {
    exchange.json(202, { formatVersion: 1, stopping: true });
    exchange.onSent(() => this.options.stop());
  }

  /**
   * The events kept since `since` (with `service=`: about those), oldest first; then, unless
   * `follow=0`, `following` and every event until the client goes (forgotten at once) or is too
   * slow (dropped). Without `since` and `follow`, only what comes from now on.
   */
  private follow(exchange: Exchange): void {
    const params = exchange.url.searchParams;
    const since = params.get('since') ?? undefined;
    if (since !== undefined && Number.isNaN(Date.parse(since))) throw new ApiError(400, `since is a time (ISO 8601, e.g. 2026-12-05T08:00:00Z), not ${JSON.stringify(since)}`, ExitCode.actionFailed);
    const services = params.getAll('service');
    const following = params.get('follow') !== '0';
    exchange.stream();
    const send = (body: EventBody) => exchange.line(body);
    const query = { ...(since === undefined ? {} : { since }), ...(services.length === 0 ? {} : { services }) };
    if (since !== undefined || !following) for (const event of this.controller.journal.query(query)) send({ formatVersion: 1, ...event });
    if (!following) return exchange.end();
    const about = (event: StackEvent) => services.length === 0 || ('service' in event && services.includes(event.service));
    send({ formatVersion: 1, at: this.controller.pool.env.time.nowIso(), type: 'following', pid: process.pid });
    const unlisten = this.controller.events.listen((event, at) => about(event) && send({ formatVersion: 1, at, ...event }));
    const stop = () => {
      unlisten();
      this.followers.delete(stop);
      exchange.end();
    };
    this.followers.add(stop);
    exchange.gone.addEventListener('abort', stop, { once: true });
  }
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

/** `,"cpu":…,"uptime":…}`: the end of a row's JSON with `columns` in it, or `}` when there are none. */
function closingJson(columns: object, redact: Redact): string {
  const text = redactedJson(columns, redact);
  return text === '{}' ? '}' : `,${text.slice(1)}`;
}
