import { existsSync } from 'node:fs';
import type { LogLine } from '../model/log-line.js';
import { dirname } from 'node:path';
import { apiSocketOf, loadStack, pause, readApplied, type Workspace } from '../api.js';
import type { Redact } from '../model/redact.js';
import type { ApiClient } from './connect.js';
import type { EventBody } from './protocol.js';
import type { Desired } from '../model/desired.js';
import { StackError } from '../model/errors.js';
import { formatIssue } from '../config/issues.js';
import type { StatusRow } from '../reconcile/status-rows.js';

/** Where the stack file is: `-f`, resolved once by the caller. */
export interface LiveOptions {
  file?: string;
}

// Where `stack top`'s and `stack dashboard`'s rows come from: a running controller (its status, asked again on its
// events and every 2 s for CPU and memory; nothing observed here) or, without one, what stack observes here once a second.

export interface Snapshot {
  project: string;
  rows: StatusRow[];
  /** Where the rows come from, for the title. */
  source: string;
  /** What each service depends on (stack.yaml): what moves with a verb. */
  dependsOn?: ReadonlyMap<string, readonly string[]>;
  /** How many services a plan would move now... */
  pending?: number;
  /** ...and which (the dashboard marks their rows). */
  pendingServices?: string[];
  /** Why the rows may be stale (stack.yaml does not load: the last good file's services are shown). */
  problem?: string;
}

/** A followed log more than this far behind is skipped ahead: the view shows the latest lines. */
export const LATEST_BYTES = 256 * 1024;

/** Without a controller, a log file is looked at for new lines this often (each look is a few reads of its file and index). */
const LOG_POLL_MS = 500;

/** Without a controller, the rows are observed again this often. */
export const POLL_MS = 1000;
/** Events come in bursts (a pass moves many services): one status request per burst, at most this often. */
const DEBOUNCE_MS = 100;
/** The controller measures CPU and memory on a tick of its own, which sends no event: its status is asked again this often. */
const USAGE_MS = 2000;

export function dependsOnOf(desired: Desired): Map<string, readonly string[]> {
  return new Map(desired.services.map((service) => [service.name, service.dependsOn]));
}

/**
 * The controller's status; with `whole`, also what a plan would move now and what each service
 * depends on (asked when stack.yaml may have changed: a plan costs the controller a look at
 * every service).
 */
export async function fromController(api: ApiClient, options: LiveOptions, whole: boolean, body?: Awaited<ReturnType<ApiClient['status']>>): Promise<Snapshot> {
  const [status, plan, desired] = await Promise.all([
    body ?? api.status(),
    whole ? api.plan().catch(() => undefined) : undefined,
    whole ? loadStack({ file: options.file }).catch(() => undefined) : undefined,
  ]);
  return {
    project: status.project,
    rows: status.services,
    source: 'controller',
    ...(status.stackFileError ? { problem: `stack.yaml does not load (the controller keeps the last good file): ${status.stackFileError.split('\n')[0]}` } : {}),
    ...(desired ? { dependsOn: dependsOnOf(desired) } : {}),
    ...(plan ? pendingOf(plan.actions) : {}),
  };
}

/** Events after which stack.yaml or what runs may differ from each other. */
const FILE_EVENTS = new Set(['file-changed', 'invalid-file', 'reconciled', 'run']);

/**
 * The controller's status, asked again after its events (the first, `following`, included: what
 * changed since the first status was asked is shown), at most every THROTTLE_MS while they keep
 * coming, and its rows alone every USAGE_MS (CPU and memory); `onEvent` hears every event first
 * (markers in the log). Returns when the controller ends or its stream breaks, or on quit.
 */
export async function followController(api: ApiClient, options: LiveOptions, signal: AbortSignal, update: (snapshot: Snapshot) => void, onEvent: (event: EventBody) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let whole = false;
  // Answers may cross: one asked before the answer last shown is dropped (a whole one is asked again).
  let asked = 0;
  let shown = 0;
  const ask = () => {
    timer = undefined;
    const at = (asked += 1);
    const full = whole;
    whole = false;
    void fromController(api, options, full).then(
      (snapshot) => {
        if (signal.aborted) return;
        if (at < shown) {
          if (full) refresh(true);
          return;
        }
        shown = at;
        update(snapshot);
      },
      () => undefined,
    );
  };
  // Throttled, not debounced: a pass moving many services sends events faster than any quiet
  // gap, and the table must move while it does.
  const refresh = (all = false) => {
    whole ||= all;
    timer ??= setTimeout(ask, DEBOUNCE_MS);
  };
  const usage = setInterval(() => refresh(), USAGE_MS);
  try {
    for await (const event of api.events({ signal })) {
      onEvent(event);
      refresh(event.type === 'following' || FILE_EVENTS.has(event.type));
    }
  } catch {
    // The controller went away mid-stream (killed, restarted): the view goes on without it.
  } finally {
    clearTimeout(timer);
    clearInterval(usage);
  }
}

/**
 * What stack observes here, once a second, until quit or until a controller answers (one started
 * meanwhile, `stack up -d` in another terminal; not before `notBefore`, after one whose stream
 * ended at once): then its client, and the view follows it.
 */
export async function poll(look: () => Promise<Snapshot>, file: string, signal: AbortSignal, update: (snapshot: Snapshot) => void, failed: (problem: string) => void, notBefore = 0): Promise<ApiClient | undefined> {
  const socket = apiSocketOf(file);
  while (!signal.aborted) {
    await pause(POLL_MS, signal);
    if (signal.aborted) return undefined;
    if (Date.now() >= notBefore && existsSync(socket)) {
      const { connect } = await import('./connect.js');
      const api = connect(dirname(file));
      // One that does not answer (stopped, or still starting) is asked again at the next look.
      if (await api.status().then(() => true, () => false)) return api;
    }
    try {
      update(await look());
    } catch (error) {
      // A file mid-edit that does not load: said on screen, the last rows stay.
      failed(problemOf(error));
    }
  }
  return undefined;
}

/** What `followLogHere` reads: the last `lines` (100), then (`follow`, the default) new ones; only those read `since`. */
export interface LogReading {
  lines?: number;
  follow?: boolean;
  since?: Date | undefined;
  /** Only the lines this accepts (LogsRequest.match). */
  match?: ((line: LogLine) => boolean) | undefined;
}

/**
 * The last `lines` lines of a service's log, then (`follow`) new ones as they come, without a
 * controller. Lines pass the secrets of stack.yaml as it is now (`redactNow`) as well as of
 * when the follow began.
 */
export async function followLogLinesHere(workspace: Workspace, name: string, signal: AbortSignal, onLines: (lines: readonly LogLine[]) => void, redactNow: () => Redact, reading: LogReading = {}): Promise<void> {
  const { lines = 100, follow = true, since, match } = reading;
  const desired = workspace.desired.services.find((service) => service.name === name);
  const record = (await readApplied(workspace)).get(name);
  const which = desired?.provider ?? record?.provider;
  if (which === undefined) return;
  const provider = await workspace.providers.get(which);
  const redact: Redact = (text, cut) => redactNow()(workspace.ctx.redact(text, cut), cut);
  await provider.logs(name, desired, record, { lines, follow, signal, write: onLines, pollMs: LOG_POLL_MS, latest: LATEST_BYTES, ...(since ? { since } : {}), ...(match ? { match } : {}) }, { ...workspace.ctx, redact });
}

/** followLogLinesHere with the lines' text alone (`stack top`'s pane). */
export function followLogHere(workspace: Workspace, name: string, signal: AbortSignal, onLines: (lines: readonly string[]) => void, redactNow: () => Redact): Promise<void> {
  return followLogLinesHere(workspace, name, signal, (lines) => onLines(lines.map((line) => line.text)), redactNow);
}

/** An error in one line for the screen: a stack.yaml mistake with its file:line:col. */
export function problemOf(error: unknown): string {
  if (!(error instanceof StackError)) return error instanceof Error ? error.message : String(error);
  const issue = error.issues[0];
  return issue ? `${error.message}: ${formatIssue(issue)}` : error.message;
}

/** The services a plan's actions move, each once, and how many. */
export function pendingOf(actions: readonly { service: string }[]): { pending: number; pendingServices: string[] } {
  const pendingServices = [...new Set(actions.map((action) => action.service))];
  return { pending: pendingServices.length, pendingServices };
}

