import { statSync } from 'node:fs';
import pc from 'picocolors';
import { formatCommand, readApplied } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { open, serviceNamesOf, streams, useColor, type GlobalOptions } from '../context.js';
import type { Workspace } from '../../api.js';
import type { Applied } from '../../model/observed.js';
import { controllerNotice } from '../controller-notice.js';
import { throughController } from '../through-controller.js';
import type { ApiClient } from '../../api/connect.js';
import { logMatchOf, timeOption } from '../../api/log-match.js';
import type { LogLine } from '../../model/log-line.js';
import { LogTimeline, type TimedLine } from '../log-timeline.js';
import { BatchedOutput, mergeLogChunks, streamAt, textStartAt, type MergedLineSink } from '../log-merge.js';
import type { LogChunksRequest } from '../../model/provider.js';
import { followDeclared } from '../../api/declared-follow.js';

interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
  since?: string;
  until?: string;
  grep?: string;
  stderr?: boolean;
  json?: boolean;
  timestamps?: boolean;
}

const PALETTE = ['cyan', 'magenta', 'green', 'yellow', 'blue', 'red'] as const;
/** How long a followed line waits for older ones from other services' logs (they are polled every 200 ms). */
const HOLD_MS = 300;

/**
 * `stack logs [NAMES…]`: the services' logs as one timeline, each line prefixed with its service
 * (`|` for stdout, `!` for stderr, coloured per service on a terminal); `--timestamps` shows when
 * each was read; `--json` prints NDJSON. Narrowed by `--since`, `--until`, `--grep`, `--stderr`;
 * `-n` counts what is left per service (all of it with `--since` and no `-n`).
 */
export async function run(options: LogsOptions, written: string[]): Promise<number> {
  const since = options.since === undefined ? undefined : timeOption(options.since, '--since');
  const until = options.until === undefined ? undefined : timeOption(options.until, '--until');
  const lines = linesOf(options.lines, since !== undefined);
  const match = await logMatchOf({ grep: options.grep, stderr: options.stderr });
  checkNoStackFileAmong(written);
  const workspace = await open(options);
  const applied = await readApplied(workspace);
  // A replicated service's name means each of its replicas (`web` → `web.0`, `web.1`).
  const names = serviceNamesOf(workspace.desired, applied, written);
  const notice = await controllerNotice(workspace);
  if (notice) streams.stderr.write(`${notice}\n`);
  const chosen = names.length > 0 ? names : workspace.desired.services.filter((service) => service.enabled).map((service) => service.name);
  const print = printerOf(options, chosen);
  const timeline = new LogTimeline(HOLD_MS);
  const follow = options.follow === true;
  // Tails are gathered and merged; followed lines go through the timeline's short hold.
  const tails = new Map<string, LogLine[]>();
  let live = false;
  const take = (service: string, read: readonly LogLine[]): void => {
    if (live) return timeline.add(read.map((line) => ({ ...line, service })), Date.now());
    const tail = tails.get(service);
    if (tail) for (const line of read) tail.push(line);
    else tails.set(service, [...read]);
  };
  const goLive = (): void => {
    timeline.merge(tails, print);
    tails.clear();
    live = true;
  };
  const ticker = follow ? setInterval(() => print(timeline.due(Date.now())), 100) : undefined;

  // Ctrl+C ends a follow (and docker's logs); what was read so far is shown, and stack exits 0.
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const narrowing = { since, until, match };
  try {
    // The names as given: none means the services declared, followed as stack.yaml changes.
    const query = { names, lines, follow, signal: abort.signal, since, until, grep: options.grep, stderr: options.stderr };
    const told = await throughController(options, (api) => logsThrough(api, query, take, goLive), 'reading the log files');
    if (told !== undefined) return told;
    // A whole timeline of logs kept in files, not followed: merged at the byte level, streamed.
    if (!follow && lines === Infinity && names.length !== 1) {
      const merged = await mergedLogs(workspace, applied, chosen, { ...defined(narrowing), signal: abort.signal });
      if (merged) {
        await mergeLogChunks(merged.logs, mergedSinkOf(options, chosen, merged.services));
        return ExitCode.ok;
      }
    }
    const shown: Promise<number | undefined>[] = [];
    const following = new Map<string, AbortController>();
    const began = new Date();
    // One service after another up to where each is caught up, so their tails are all in; then
    // every follow goes on side by side.
    for (const name of chosen) {
      const desired = workspace.desired.services.find((service) => service.name === name);
      const record = applied.get(name);
      const which = desired?.provider ?? record?.provider;
      if (which === undefined) continue;
      const provider = await workspace.providers.get(which);
      let caughtUp!: () => void;
      const ready = new Promise<void>((resolve) => (caughtUp = resolve));
      const own = new AbortController();
      following.set(name, own);
      const signal = AbortSignal.any([abort.signal, own.signal]);
      const request = { lines, follow, signal, write: (read: readonly LogLine[]) => take(name, read), caughtUp, attached: names.length === 1, ...defined(narrowing) };
      const done = provider.logs(name, desired, record, request, workspace.ctx);
      done.catch(() => undefined);
      shown.push(done);
      await Promise.race([ready, done]);
    }
    goLive();
    // No names: the services stack.yaml declares as it is edited, one added followed from its first line.
    if (follow && names.length === 0) {
      let current = workspace;
      const declared = async () => {
        current = await open(options);
        return current.desired.services.filter((service) => service.enabled).map((service) => service.name);
      };
      const added = async (name: string, signal: AbortSignal) => {
        const desired = current.desired.services.find((service) => service.name === name);
        if (!desired) return;
        const provider = await current.providers.get(desired.provider);
        const from = since && since > began ? since : began;
        await provider.logs(name, desired, undefined, { lines: Infinity, follow: true, signal, write: (read) => take(name, read), ...defined({ ...narrowing, since: from }) }, current.ctx);
      };
      shown.push(followDeclared(following, declared, added, abort.signal).then(() => undefined));
    }
    const codes = await Promise.all(shown);
    // An attached command of the provider's own (a plugin's `logs`) gives its exit code.
    return codes.find((code) => code !== undefined) ?? ExitCode.ok;
  } finally {
    if (ticker) clearInterval(ticker);
    if (live) print(timeline.due(Date.now(), true));
    else goLive();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** `-n N`, `-n all`; without it 100, or everything in the window of `--since`. */
function linesOf(text: string | undefined, since: boolean): number {
  if (text === undefined) return since ? Infinity : 100;
  if (text === 'all') return Infinity;
  const lines = Number(text);
  if (!Number.isInteger(lines) || lines < 0) throw new StackError(ExitCode.actionFailed, `--lines takes a whole number or "all", got "${text}"`);
  return lines;
}

function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Writes lines as `--json` NDJSON or as prefixed text. */
function printerOf(options: LogsOptions, chosen: readonly string[]): (lines: readonly TimedLine[]) => void {
  if (options.json) {
    return (lines) => {
      if (lines.length === 0) return;
      let text = '';
      for (const line of lines) text += `${JSON.stringify({ formatVersion: 1, time: line.at ?? null, service: line.service, stream: line.stream, line: line.text })}\n`;
      streams.stdout.write(text);
    };
  }
  const c = pc.createColors(useColor(options));
  const width = Math.max(0, ...chosen.map((name) => name.length));
  const names = new Map(chosen.map((name, index) => [name, c[PALETTE[index % PALETTE.length] as (typeof PALETTE)[number]](name.padEnd(width))]));
  const bar = '|';
  const errorBar = c.red('!');
  return (lines) => {
    if (lines.length === 0) return;
    let text = '';
    for (const line of lines) {
      const name = names.get(line.service) ?? line.service;
      const time = options.timestamps ? `${c.dim(line.at ?? '-'.padEnd(27))} ` : '';
      const body = line.stream === 'stack' ? c.dim(line.text) : line.text;
      text += `${name} ${line.stream === 'stderr' ? errorBar : bar} ${time}${body}\n`;
    }
    streams.stdout.write(text);
  };
}

/**
 * The chosen services' whole logs as framed pieces (`Provider.logChunks`), in their order;
 * undefined when one of them is kept by a provider that has no such pieces (docker's logs).
 */
async function mergedLogs(workspace: Workspace, applied: Applied, chosen: readonly string[], request: LogChunksRequest): Promise<{ services: string[]; logs: AsyncIterable<Buffer>[] } | undefined> {
  const services: string[] = [];
  const logs: AsyncIterable<Buffer>[] = [];
  for (const name of chosen) {
    const which = workspace.desired.services.find((service) => service.name === name)?.provider ?? applied.get(name)?.provider;
    if (which === undefined) continue;
    const provider = await workspace.providers.get(which);
    if (!provider.logChunks) return undefined;
    services.push(name);
    logs.push(provider.logChunks(name, request, workspace.ctx));
  }
  return { services, logs };
}

/** Prints merged lines as printerOf does, from their bytes: only a line printed as text (`--json`, stack's own, `-t`) is decoded. */
function mergedSinkOf(options: LogsOptions, chosen: readonly string[], services: readonly string[]): MergedLineSink {
  const output = new BatchedOutput((bytes) => streams.stdout.write(bytes));
  const end = (): void => output.flush();
  if (options.json) {
    return {
      line(service, piece, start, stop, framed) {
        const time = framed ? piece.toString('latin1', start, start + 27) : null;
        const line = piece.toString('utf8', textStartAt(start, stop, framed), stop);
        output.text(`${JSON.stringify({ formatVersion: 1, time, service: services[service], stream: streamAt(piece, start, framed), line })}\n`);
      },
      end,
    };
  }
  const c = pc.createColors(useColor(options));
  const width = Math.max(0, ...chosen.map((name) => name.length));
  const colour = (name: string): string => c[PALETTE[Math.max(0, chosen.indexOf(name)) % PALETTE.length] as (typeof PALETTE)[number]](name.padEnd(width));
  const prefixes = services.map((name) => [Buffer.from(`${colour(name)} | `), Buffer.from(`${colour(name)} ${c.red('!')} `)] as const);
  return {
    line(service, piece, start, stop, framed) {
      const stream = streamAt(piece, start, framed);
      const textStart = textStartAt(start, stop, framed);
      const prefix = (prefixes[service] as readonly [Buffer, Buffer])[stream === 'stderr' ? 1 : 0];
      if (!options.timestamps && stream !== 'stack') return output.line(prefix, piece, textStart, stop);
      output.bytes(prefix, 0, prefix.length);
      if (options.timestamps) output.text(`${c.dim(framed ? piece.toString('latin1', start, start + 27) : '-'.padEnd(27))} `);
      if (stream === 'stack') output.text(c.dim(piece.toString('utf8', textStart, stop)));
      else output.bytes(piece, textStart, stop);
      output.byte(0x0a);
    },
    end,
  };
}

interface ThroughQuery {
  names: string[];
  lines: number;
  follow: boolean;
  signal: AbortSignal;
  since: Date | undefined;
  until: Date | undefined;
  grep: string | undefined;
  stderr: boolean | undefined;
}

/** The controller sends every tail, then (following) new lines until Ctrl+C; its `end` line gives the exit code. */
async function logsThrough(api: ApiClient, query: ThroughQuery, take: (service: string, read: readonly LogLine[]) => void, goLive: () => void): Promise<number> {
  const { names, ...rest } = query;
  const lines = api.logs({ services: names, ...rest })[Symbol.asyncIterator]();
  try {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const line = next.value;
      if (line.type === 'line') take(line.service, [{ text: line.text, stream: line.stream ?? 'stdout', ...(line.at === undefined ? {} : { at: line.at }) }]);
      else if (line.type === 'caught-up') goLive();
      else if (line.type === 'end') return line.exitCode;
    }
  } catch (error) {
    // Ctrl+C closed the follow: what was read is shown, and stack exits 0.
    if (!query.signal.aborted) throw error;
  }
  return ExitCode.ok;
}

/**
 * `stack logs -f stack.yaml web`: here -f is --follow (see argv.ts), so the file arrives as a
 * service name. No service name has a dot, so a YAML file among the names is that mistake.
 */
function checkNoStackFileAmong(names: readonly string[]): void {
  const file = names.find((name) => /\.ya?ml$/.test(name) && isFile(name));
  if (file === undefined) return;
  const instead = formatCommand(['stack', 'logs', '--file', file, ...names.filter((name) => name !== file)]);
  throw new StackError(ExitCode.serviceNotFound, `no service named "${file}"`, {
    hint: `for \`logs\`, -f means --follow (as in tail -f); give the stack file with --file: ${instead}`,
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
