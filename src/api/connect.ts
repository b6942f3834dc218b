import type { Workspace } from '../engine/workspace.js';
import { ExitCode, StackError } from '../model/errors.js';
import { statePaths } from '../state/paths.js';
import { call, callJson, readLines } from './api-http.js';
import type { ApplyRequest, EventBody, LogLine, PlanBody, RunLine, ServiceVerb, StatusBody, VerbRequest } from './protocol.js';

export { ControllerSilent, NoController, NoRoute } from './api-http.js';
export type * from './protocol.js';

/** The last line of a run: the `apply --json` body and the exit code the CLI exits with. */
export type RunResult = Extract<RunLine, { type: 'result' }>;

export interface RunOptions {
  /** Every line as it comes: `edit`, `plan`, `progress`, then the `result` the call resolves with. */
  onLine?: (line: RunLine) => void;
  /** Aborting closes the request: the controller interrupts the run, as Ctrl+C would. */
  signal?: AbortSignal;
}

export interface LogsOptions {
  /** None: every enabled service. */
  services?: readonly string[];
  /** From the end of each log (default: the controller's, 100). */
  lines?: number;
  follow?: boolean;
  /** A viewer of the latest lines: following, more than this many bytes waiting are skipped (said in one line). */
  latest?: number;
  /** Only lines read in this window, matching `grep` (RE2), only stderr's. */
  since?: Date | undefined;
  until?: Date | undefined;
  grep?: string | undefined;
  stderr?: boolean | undefined;
  signal?: AbortSignal;
}

export interface ConnectOptions {
  /** How long a call waits for the controller to begin its answer, or say it will (`102`): default 5 s. */
  timeoutMs?: number;
}

/** The calls of the controller's API (docs/api.md), one per route. */
export interface EventsOptions {
  signal?: AbortSignal;
  /** The events kept since this wall time (ISO 8601) come first. */
  since?: string;
  /** Only events about these services. */
  services?: readonly string[];
  /** false: the kept events, then the end (default true). */
  follow?: boolean;
}

export interface ApiClient {
  readonly socketPath: string;
  /** `GET /v1/status`: what the controller knows, without probing. */
  status(services?: readonly string[]): Promise<StatusBody>;
  /** `GET /v1/plan`: as `plan --json`, with the hash `apply` takes and the plan as `plan -o` saves it. */
  plan(targets?: readonly string[]): Promise<PlanBody>;
  /** `POST /v1/apply`: carries out a plan and resolves with its result line. */
  apply(request: ApplyRequest, options?: RunOptions): Promise<RunResult>;
  /** `POST /v1/services/{verb}`: edits stack.yaml (not for `restart`) and applies those services. */
  verb(verb: ServiceVerb, request: VerbRequest, options?: RunOptions): Promise<RunResult>;
  /** `GET /v1/logs`: the tails, then (with `follow`) new lines until the loop is left or `signal` aborts. */
  logs(options?: LogsOptions): AsyncIterable<LogLine>;
  /**
   * `GET /v1/events`: the events kept since `since` (about `services`), then (unless `follow` is
   * false) `following` and every event until the loop is left (or the controller ends).
   */
  events(options?: EventsOptions): AsyncIterable<EventBody>;
  /** `POST /v1/stop`: resolves once the controller accepted; it closes after. */
  stop(): Promise<void>;
}

// A plan too: the controller says `102 Processing` at once, however long planning then takes.
const TIMEOUT_MS = 5000;

/**
 * A client of the running controller's API, for a workspace or a stack's folder (the one holding
 * stack.yaml). Nothing is sent until a call: a call rejects with `NoController` when nobody
 * listens, `NoRoute` when it does not serve the route (an older controller), `ControllerSilent` when the controller does not begin to answer in time, and a
 * `StackError` with the exit code the controller gave otherwise.
 */
export function connect(target: Workspace | string, options: ConnectOptions = {}): ApiClient {
  const socketPath = typeof target === 'string' ? statePaths(target).apiSocket : target.paths.apiSocket;
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const get = <T>(path: string) => callJson<T>({ socketPath, method: 'GET', path, timeoutMs });
  const run = (path: string, body: unknown, { onLine, signal }: RunOptions = {}) =>
    runStream(call({ socketPath, method: 'POST', path, body, timeoutMs, signal }), onLine);
  const stream = <T>(path: string, signal?: AbortSignal) => follow<T>(() => call({ socketPath, method: 'GET', path, timeoutMs, signal }));
  return {
    socketPath,
    status: (services = []) => get<StatusBody>(`/v1/status${query({ service: services })}`),
    plan: (targets = []) => get<PlanBody>(`/v1/plan${query({ target: targets })}`),
    apply: (request, runOptions) => run('/v1/apply', request, runOptions),
    verb: (verb, request, runOptions) => run(`/v1/services/${verb}`, request, runOptions),
    logs: ({ services = [], lines, follow: following, latest, since, until, grep, stderr, signal } = {}) =>
      stream<LogLine>(
        `/v1/logs${query({
          service: services,
          lines: lines === undefined ? [] : [lines === Infinity ? 'all' : String(lines)],
          follow: following ? ['1'] : [],
          latest: latest === undefined ? [] : [String(latest)],
          since: since === undefined ? [] : [since.toISOString()],
          until: until === undefined ? [] : [until.toISOString()],
          grep: grep === undefined ? [] : [grep],
          stderr: stderr ? ['1'] : [],
        })}`,
        signal,
      ),
    events: ({ signal, since, services = [], follow: following = true } = {}) =>
      stream<EventBody>(`/v1/events${query({ since: since === undefined ? [] : [since], service: services, follow: following ? [] : ['0'] })}`, signal),
    async stop() {
      await callJson({ socketPath, method: 'POST', path: '/v1/stop', timeoutMs });
    },
  };
}

/** An `error` line, as the StackError the call would have thrown before its stream began. */
export function streamError(error: { message: string; exitCode: number; hint?: string }): StackError {
  return new StackError(error.exitCode as ExitCode, error.message, error.hint ? { hint: error.hint } : {});
}

function query(params: Record<string, readonly string[]>): string {
  const pairs = Object.entries(params).flatMap(([key, values]) => values.map((value) => `${key}=${encodeURIComponent(value)}`));
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

/** The lines of a stream; an `error` line (something failed after it began) is thrown, as it would have been before. */
async function* follow<T>(open: () => ReturnType<typeof call>): AsyncGenerator<T> {
  for await (const line of readLines<T>(await open())) {
    const failed = line as { type?: string; error?: { message: string; exitCode: number; hint?: string } };
    if (failed.type === 'error' && failed.error) throw streamError(failed.error);
    yield line;
  }
}

async function runStream(response: ReturnType<typeof call>, onLine: RunOptions['onLine']): Promise<RunResult> {
  for await (const line of readLines<RunLine>(await response)) {
    onLine?.(line);
    if (line.type === 'result') return line;
    // Something failed after the stream began: the run ends with it, as the same failure would daemonless.
    if (line.type === 'error') throw streamError(line.error);
  }
  throw new StackError(ExitCode.actionFailed, 'the controller ended the run before its result (did it close?)', { hint: '`stack status` shows where the services got to' });
}
