import { redactorOf } from '../config/secrets.js';
import type { Redact } from '../model/redact.js';
import type { Controller } from '../engine/supervise/controller.js';
import { ExitCode } from '../model/errors.js';
import type { LogsRequest } from '../model/provider.js';
import type { LogLine } from './protocol.js';
import { ApiError, type Exchange, type LineOf } from './server-http.js';
import { checkNames } from './server-runs.js';
import { logMatchOf } from './log-match.js';
import { followDeclared } from './declared-follow.js';
import type { LogLine as ReadLine } from '../model/log-line.js';

/**
 * `GET /v1/logs?service=…&lines=N&follow=1`, as `stack logs [-f]` reads them: each service's
 * tail from its provider, one service after another so the tails come in order, then
 * `caught-up`; with `follow`, new lines of every service as they come until the client goes (or
 * the controller closes); without, `end` with the exit code. Reads only: it does not wait for
 * the controller's turn.
 */
export async function serveLogs(controller: Controller, exchange: Exchange): Promise<void> {
  const params = exchange.url.searchParams;
  const all = params.get('lines') === 'all';
  const lines = all ? Infinity : Number(params.get('lines') ?? 100);
  if (!(all || Number.isInteger(lines)) || lines < 0) throw new ApiError(400, `lines takes a whole number, got "${params.get('lines')}"`, ExitCode.actionFailed);
  const follow = flag(params.get('follow'), 'follow');
  const latest = params.has('latest') ? Number(params.get('latest')) : undefined;
  if (latest !== undefined && !(Number.isInteger(latest) && latest > 0)) throw new ApiError(400, `latest takes a whole number of bytes above 0, got "${params.get('latest')}"`, ExitCode.actionFailed);
  const since = timeParam(params.get('since'), 'since');
  const until = timeParam(params.get('until'), 'until');
  const match = await logMatchOf({ grep: params.get('grep') ?? undefined, stderr: flag(params.get('stderr'), 'stderr') }).catch((error: unknown) => {
    throw new ApiError(400, error instanceof Error ? error.message.replace(/^--grep/, 'grep') : String(error), ExitCode.actionFailed);
  });
  const { desired, providers, ctx } = controller.workspaceNow;
  const applied = controller.applied();
  const names = checkNames(desired, applied, params.getAll('service'));
  const chosen = names.length > 0 ? names : desired.services.filter((service) => service.enabled).map((service) => service.name);
  const send = (line: LineOf<LogLine>) => exchange.line({ formatVersion: 1, ...line });
  // The secrets of stack.yaml now (the controller's redactor follows the file) and of when the
  // follow began: a run's last lines may print a value that an edit has just replaced.
  const opened = redactorOf(desired);
  const redactBoth: Redact = (text, cut) => ctx.redact(opened(text, cut), cut);
  const signal = AbortSignal.any([exchange.gone, controller.signal]);
  exchange.stream();
  const shown: Promise<number | undefined>[] = [];
  const following = new Map<string, AbortController>();
  const began = new Date();
  for (const name of chosen) {
    const service = desired.services.find((candidate) => candidate.name === name);
    const record = applied.get(name);
    const which = service?.provider ?? record?.provider;
    if (which === undefined) continue;
    const provider = await providers.get(which);
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    const own = new AbortController();
    following.set(name, own);
    const request: LogsRequest = {
      lines,
      follow,
      signal: AbortSignal.any([signal, own.signal]),
      caughtUp,
      attached: false,
      ...(latest === undefined ? {} : { latest }),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(match === undefined ? {} : { match }),
      write: (read) => exchange.lines(read.map((line) => ({ formatVersion: 1, type: 'line', service: name, ...line }))),
    };
    const done = provider.logs(name, service, record, request, { ...ctx, redact: redactBoth });
    done.catch(() => undefined);
    shown.push(done);
    await Promise.race([ready, done]);
  }
  send({ type: 'caught-up' });
  // No names: the services stack.yaml declares as the controller takes in its edits; one added
  // is followed from its first line, one removed let go.
  if (follow && names.length === 0) {
    const enabled = () => controller.workspaceNow.desired.services.filter((service) => service.enabled).map((service) => service.name);
    const added = async (name: string, addedSignal: AbortSignal) => {
      const now = controller.workspaceNow;
      const service = now.desired.services.find((candidate) => candidate.name === name);
      if (!service) return;
      const provider = await now.providers.get(service.provider);
      const write = (read: readonly ReadLine[]) => exchange.lines(read.map((line) => ({ formatVersion: 1, type: 'line', service: name, ...line })));
      const from = since && since > began ? since : began;
      const request: LogsRequest = { lines: Infinity, follow: true, signal: addedSignal, attached: false, since: from, write, ...(until === undefined ? {} : { until }), ...(match === undefined ? {} : { match }) };
      await provider.logs(name, service, undefined, request, { ...now.ctx, redact: redactBoth });
    };
    shown.push(followDeclared(following, enabled, added, signal).then(() => undefined));
  }
  const codes = await Promise.all(shown);
  if (follow) return exchange.end();
  // A provider's own logs command (a plugin's) gives its exit code.
  exchange.end({ formatVersion: 1, type: 'end', exitCode: codes.find((code) => code !== undefined) ?? ExitCode.ok });
}

/** An ISO 8601 time (a client turns `10m` into one), or absent. */
function timeParam(value: string | null, name: string): Date | undefined {
  if (value === null) return undefined;
  const at = /^\d{4}-\d\d-\d\d/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw new ApiError(400, `${name} takes a time (ISO 8601), got "${value}"`, ExitCode.actionFailed);
  return new Date(at);
}

/** `1`/`true` or `0`/`false` (or absent): another value is a mistake, not a quiet "no". */
function flag(value: string | null, name: string): boolean {
  if (value === null || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new ApiError(400, `${name} takes 1 or 0, got "${value}"`, ExitCode.actionFailed);
}
