import type { IncomingMessage } from 'node:http';
import type { LogLine } from '../../model/log-line.js';
import { timeOption } from '../log-match.js';
import { FileHistoryReader } from './history.js';
import type { Live } from './live.js';
import type { DashBoot, LogLineEvent, SessionBody } from './protocol.js';
import { bodyOf, DashError, type Reply } from './reply.js';
import type { DashRuns } from './runs.js';

/** Lines of a log sent before following, unless `lines=` says. */
const LOG_LINES = 200;
const MAX_LOG_LINES = 10_000;

export interface RouteContext {
  request: IncomingMessage;
  reply: Reply;
  url: URL;
  /** The session's CSRF token. */
  csrf: string;
}

type Handler = (context: RouteContext, params: string[]) => Promise<void> | void;

/** The routes under `/api/v1/` (docs/dashboard.md, "Routes"): each a method, a pattern, a handler. */
export class ApiRoutes {
  private readonly history: FileHistoryReader;
  private readonly table: { method: string; pattern: RegExp; handler: Handler }[];

  constructor(
    private readonly live: Live,
    private readonly runs: DashRuns,
  ) {
    this.history = new FileHistoryReader(live.file);
    this.table = [
      { method: 'GET', pattern: /^\/api\/v1\/session$/, handler: (context) => this.session(context) },
      { method: 'GET', pattern: /^\/api\/v1\/status$/, handler: ({ reply }) => reply.json(200, this.live.status) },
      { method: 'GET', pattern: /^\/api\/v1\/stream$/, handler: (context) => this.stream(context) },
      { method: 'GET', pattern: /^\/api\/v1\/logs$/, handler: (context) => this.logs(context) },
      { method: 'GET', pattern: /^\/api\/v1\/plan$/, handler: async ({ reply }) => reply.json(200, await this.runs.plan()) },
      { method: 'POST', pattern: /^\/api\/v1\/apply$/, handler: (context) => this.apply(context) },
      { method: 'GET', pattern: /^\/api\/v1\/history$/, handler: (context) => this.fileHistory(context) },
      { method: 'GET', pattern: /^\/api\/v1\/services\/([^/]+)\/history$/, handler: async ({ reply }, [name]) => reply.json(200, await this.live.historyOf(this.known(name as string))) },
      { method: 'POST', pattern: /^\/api\/v1\/services\/([^/]+)\/([^/]+)$/, handler: (context, [name, verb]) => this.verb(context, name as string, verb as string) },
    ];
  }

  /** Answers `path`; 404 or 405 when no route takes it. */
  async handle(method: string, path: string, context: RouteContext): Promise<void> {
    const matching = this.table.map((route) => ({ route, match: route.pattern.exec(path) })).filter((found) => found.match);
    const found = matching.find(({ route }) => route.method === method);
    if (!found?.match) {
      if (matching.length > 0) throw new DashError(405, `method not allowed: ${method} ${path}`);
      throw new DashError(404, `no such route: ${method} ${path}`);
    }
    await found.route.handler(context, found.match.slice(1).map(decoded));
  }

  /** What a page carries for its first render: no request before the table. */
  boot(csrf: string): DashBoot {
    return { formatVersion: 1, session: this.sessionOf(csrf), status: this.live.status };
  }

  private session({ reply, csrf }: RouteContext): void {
    reply.json(200, this.sessionOf(csrf));
  }

  private sessionOf(csrf: string): SessionBody {
    const pid = this.live.controllerPid;
    return { formatVersion: 1, project: this.live.status.project, stackFile: this.live.file, csrf, controller: pid === undefined ? null : { pid } };
  }

  /** The status now, then again on every change, the controller's events, and problems. */
  private stream({ reply }: RouteContext): void {
    const { send, gone } = reply.events();
    send('status', this.live.status);
    const unlisten = this.live.listen(send);
    gone.addEventListener('abort', unlisten, { once: true });
  }

  /**
   * One service's log: its last lines (`lines=`; read since `since=`, a time or `10m`), then new
   * ones until the page closes it (unless `follow=0`: the stream ends).
   */
  private logs({ reply, url }: RouteContext): void {
    const service = this.known(url.searchParams.get('service') ?? '');
    const asked = url.searchParams.get('lines') ?? String(LOG_LINES);
    const lines = /^\d{1,6}$/.test(asked) ? Number(asked) : Number.NaN;
    if (!(lines <= MAX_LOG_LINES)) throw new DashError(400, `lines is a whole number up to ${MAX_LOG_LINES}, not ${JSON.stringify(asked)}`);
    const follow = url.searchParams.get('follow') !== '0';
    const since = sinceOf(url.searchParams.get('since'));
    const { send, sendAll, gone } = reply.events();
    const event = (read: LogLine): LogLineEvent => ({ formatVersion: 1, service, text: read.text, stream: read.stream, ...(read.at === undefined ? {} : { at: read.at }) });
    const sendLines = (read: readonly LogLine[]) => sendAll('line', read.map(event));
    this.live.logs(service, { lines, follow, since }, gone, sendLines, () => send('caught-up', { formatVersion: 1 })).then(
      () => reply.response.end(),
      (error: unknown) => {
        if (!gone.aborted) send('problem', { formatVersion: 1, message: `log of ${service}: ${error instanceof Error ? error.message : String(error)}` });
        reply.response.end();
      },
    );
  }

  /** `name`, when the table has a row for it; 404 (exit 4) otherwise, as `stack logs nope`. */
  private known(name: string): string {
    if (!this.live.status.services.some((row) => row.name === name)) throw new DashError(404, `no service named ${JSON.stringify(name)}`, 4);
    return name;
  }

  private async apply({ request, reply }: RouteContext): Promise<void> {
    const body = await bodyOf(request);
    const result = await this.runs.apply(body.planHash);
    this.live.lookNow();
    reply.json(200, result);
  }

  private async verb({ request, reply }: RouteContext, name: string, verb: string): Promise<void> {
    const body = await bodyOf(request);
    const result = await this.runs.verb(verb, name, body.commit);
    this.live.lookNow();
    reply.json(200, result);
  }

  private async fileHistory({ reply, url }: RouteContext): Promise<void> {
    const limit = Number(url.searchParams.get('limit') ?? 20);
    if (!Number.isInteger(limit) || limit < 1) throw new DashError(400, 'limit is a whole number of commits, 1 or more');
    reply.json(200, await this.history.read(limit));
  }
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new DashError(400, `not a name: ${part}`);
  }
}

/** `since=`: a time (ISO 8601) or a duration ago (`10m`); absent or empty: none. */
function sinceOf(value: string | null): Date | undefined {
  if (value === null || value === '') return undefined;
  try {
    return timeOption(value, 'since');
  } catch (error) {
    throw new DashError(400, error instanceof Error ? error.message : String(error));
  }
}
