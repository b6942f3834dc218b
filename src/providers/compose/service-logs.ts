// The compose provider's side of the `logs` contract: one service's containers, each read with
// `docker logs --timestamps` (container-log.ts), so every line has the engine's time and its
// stream; several containers (scale) are merged into one timeline by those times.
import type { ComposeSpec } from './spec.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { lineFilter, type LogLine } from '../../model/log-line.js';
import type { LogsRequest, OperationContext } from '../../model/provider.js';
import { runCommand } from '../../os/runner.js';
import { checkEngine } from './cli.js';
import { engineStamp, readContainerLog, type StampedLine } from './container-log.js';
import type { Container } from './containers.js';
import { followComposeLogs, listContainers, severalRun } from './follow-logs.js';

/** With `match`, the first read takes at least this many lines from each container's end… */
const FIRST_SCAN_LINES = 1_000;
/** …then ten times more while too few matched, up to this many (about 2 s of `docker logs`). */
const MAX_SCAN_LINES = 100_000;
/** Lines handed to `write` at a time. */
const WRITE_BATCH = 1_000;

type Ctx = Pick<OperationContext, 'verbose' | 'redact'>;
type Keep = ((line: LogLine) => boolean) | undefined;

/**
 * The last `request.lines` lines of the service's containers that pass its `since`, `until` and
 * `match` (this run's only, with `run`), oldest first; then with `follow` every new one, from
 * where each container's read ended, across restarts and recreations, until the signal aborts.
 * The engine narrows by time and count where it can; `match` is stack's own (docker has no grep).
 */
export async function showComposeLogs(name: string, spec: ComposeSpec | undefined, request: LogsRequest, ctx: Ctx): Promise<undefined> {
  if (!spec) {
    request.caughtUp?.();
    return undefined;
  }
  const probe = { verbose: ctx.verbose, signal: request.signal };
  await checkEngine(runCommand, probe);
  const window = windowOf(request);
  // A pattern is matched on the text as shown: a secret's value is no way to probe for it.
  const filter = lineFilter({ ...window, match: request.match });
  const keep = filter && ((line: LogLine) => filter({ ...line, text: ctx.redact(line.text) }));
  // A follow reads containers the tail did not from here: nothing between the two is lost.
  const begun = new Date();
  const containers = await listContainers(spec, probe);
  const tail = request.lines > 0 ? await readServiceTail(name, spec, containers, { ...request, ...window }, keep, ctx) : { lines: [], cursors: new Map<string, string>() };
  for (let at = 0; at < tail.lines.length; at += WRITE_BATCH) request.write(tail.lines.slice(at, at + WRITE_BATCH));
  request.caughtUp?.();
  if (request.follow) {
    const write = (_service: string, line: LogLine, container?: string) => {
      if (!keep || keep(line)) request.write([shown(line, container, ctx)]);
    };
    await followComposeLogs({ specs: () => new Map([[name, spec]]), since: begun, cursors: tail.cursors, signal: request.signal, write, verbose: ctx.verbose });
  }
  return undefined;
}

/** `since` narrowed to the run's start when only that run's lines are asked for. */
function windowOf(request: LogsRequest): { since?: Date; until?: Date } {
  const started = request.run ? new Date(request.run.startedAt) : undefined;
  const since = started && !Number.isNaN(started.getTime()) && (!request.since || started > request.since) ? started : request.since;
  return { ...(since ? { since } : {}), ...(request.until ? { until: request.until } : {}) };
}

interface Tail {
  lines: LogLine[];
  /** The stamp of the first of `lines`. */
  oldest?: string;
  /** Each container's id → the stamp of the last line docker gave (kept or not): where a follow goes on. */
  cursors: Map<string, string>;
}

type TailRequest = Pick<LogsRequest, 'lines' | 'since' | 'until' | 'match' | 'signal'>;

/**
 * The last lines that pass `keep`. Docker counts `--tail` from the log's end before it applies
 * `--until`, and cannot grep: with `until` every line up to it is read (only the last `lines`
 * held); with `match`, ever larger tails until enough lines match or the log is read whole.
 */
async function readServiceTail(name: string, spec: ComposeSpec, containers: readonly Container[], request: TailRequest, keep: Keep, ctx: Ctx): Promise<Tail> {
  const wanted = request.lines;
  const bounded = Number.isFinite(wanted) && request.until === undefined;
  let scan = bounded ? (request.match ? Math.min(Math.max(wanted, FIRST_SCAN_LINES), MAX_SCAN_LINES) : wanted) : undefined;
  for (;;) {
    const reads = await Promise.all(containers.map((container) => readTailOf(container, spec, { ...request, tail: scan }, keep, ctx)));
    const failed = reads.flatMap((read) => (read.failure ? [read.failure] : []));
    if (failed.length > 0) throw new StackError(ExitCode.actionFailed, `docker logs failed for ${name}: ${failed[0]}`);
    const tail = tailOf(reads, containers, wanted, ctx);
    if (scan === undefined || scan >= MAX_SCAN_LINES || complete(tail, reads, wanted, scan)) return tail;
    scan = Math.min(scan * 10, MAX_SCAN_LINES);
  }
}

/**
 * Whether a longer read could change the tail: not when every container's log was read whole,
 * nor when `wanted` lines passed and none is older than where a cut-off read began.
 */
function complete(tail: Tail, reads: readonly ContainerTail[], wanted: number, scan: number): boolean {
  const cut = reads.filter((read) => read.count >= scan);
  if (cut.length === 0) return true;
  const oldest = tail.oldest;
  return tail.lines.length >= wanted && oldest !== undefined && cut.every((read) => read.first !== undefined && read.first <= oldest);
}

interface ContainerTail {
  /** The last lines that passed, at most the request's `lines` of each stream (ordered later). */
  kept: StampedLine[];
  /** Lines docker gave: fewer than asked means the log was read whole. */
  count: number;
  /** The stamps of the first and the last line docker gave. */
  first?: string;
  last?: string;
  failure?: string;
}

async function readTailOf(container: Container, spec: ComposeSpec, request: TailRequest & { tail: number | undefined }, keep: Keep, ctx: Ctx): Promise<ContainerTail> {
  const read: ContainerTail = { kept: [], count: 0 };
  // Stdout and stderr come on two pipes, each in order but not with each other: each keeps its
  // own last `lines`, and the two are ordered by stamp at the end.
  const streams = { stdout: [] as StampedLine[], stderr: [] as StampedLine[] };
  const limit = request.lines;
  const failure = await readContainerLog(container.id, {
    ...(request.since ? { since: engineStamp(request.since) } : {}),
    ...(request.until ? { until: engineStamp(request.until, true) } : {}),
    ...(request.tail === undefined ? {} : { tail: request.tail }),
    env: spec.env,
    signal: request.signal,
    verbose: ctx.verbose,
    onLine: (stamped) => {
      read.count += 1;
      if (read.first === undefined || stamped.stamp < read.first) read.first = stamped.stamp;
      if (read.last === undefined || stamped.stamp > read.last) read.last = stamped.stamp;
      if (keep && !keep(stamped.line)) return;
      const kept = stamped.line.stream === 'stderr' ? streams.stderr : streams.stdout;
      kept.push(stamped);
      if (kept.length > 2 * limit) kept.splice(0, kept.length - limit);
    },
  });
  read.kept = streams.stdout.slice(-limit).concat(streams.stderr.slice(-limit));
  if (failure !== undefined) read.failure = failure;
  return read;
}

/** The containers' kept lines as one timeline, its last `wanted`, marked and redacted. */
function tailOf(reads: readonly ContainerTail[], containers: readonly Container[], wanted: number, ctx: Ctx): Tail {
  const several = severalRun(containers);
  const kept = reads.flatMap((read, index) => read.kept.map((stamped) => ({ stamped, container: (containers[index] as Container).name })));
  // Stable: lines with one stamp keep the order docker gave them.
  kept.sort((a, b) => (a.stamped.stamp < b.stamped.stamp ? -1 : a.stamped.stamp > b.stamped.stamp ? 1 : 0));
  const last = Number.isFinite(wanted) ? kept.slice(-wanted) : kept;
  const cursors = new Map<string, string>();
  reads.forEach((read, index) => {
    if (read.last !== undefined) cursors.set((containers[index] as Container).id, read.last);
  });
  const lines = last.map(({ stamped, container }) => shown(stamped.line, several ? container : undefined, ctx));
  const oldest = last[0]?.stamped.stamp;
  return { lines, ...(oldest === undefined ? {} : { oldest }), cursors };
}

/** A line as the caller sees it: redacted (a container may print its own secrets), with its container while several run. */
function shown(line: LogLine, container: string | undefined, ctx: Ctx): LogLine {
  const text = ctx.redact(line.text);
  return { ...line, text: container === undefined ? text : `${container} | ${text}` };
}
