// The swarm provider's side of the `logs` contract: `docker service logs --timestamps` of each
// service of the stack, merged into one timeline by the engine's times.
import type { SwarmSpec } from './spec.js';
import { lineFilter, normalStamp, type LogLine } from '../../model/log-line.js';
import type { LogsRequest, OperationContext } from '../../model/provider.js';
import { streamCommand } from '../../os/runner.js';
import { engineStamp, splitStamp } from '../compose/container-log.js';
import type { Run } from '../compose/cli.js';
import { serviceLogsArgv, serviceLsArgv } from './argv.js';
import { parseServiceRows } from './status.js';

type Ctx = Pick<OperationContext, 'verbose' | 'redact'>;

interface Stamped {
  stamp: string;
  line: LogLine;
}

/** `2026-…Z web.1@node    | text` → its stamp and line; the task named in front when `labelled`. */
export function parseServiceLogLine(stack: string, raw: string, stream: 'stdout' | 'stderr', labelled: boolean): Stamped | undefined {
  const stamped = splitStamp(raw);
  if (!stamped) return undefined;
  const task = /^(\S+)@\S+\s+\| ?(.*)$/s.exec(stamped.text);
  const text = task ? (task[2] as string) : stamped.text;
  const name = task ? (task[1] as string).replace(new RegExp(`^${stack}_`), '') : undefined;
  const at = normalStamp(stamped.stamp) as string;
  return { stamp: stamped.stamp, line: { text: labelled && name ? `${name} | ${text}` : text, stream, at } };
}

/**
 * The last `request.lines` lines of the stack's services that pass `since`, `until` and `match`,
 * oldest first; then, with `follow`, every new one until the signal aborts.
 */
export async function showSwarmLogs(run: Run, spec: SwarmSpec | undefined, request: LogsRequest, ctx: Ctx): Promise<undefined> {
  if (!spec) {
    request.caughtUp?.();
    return undefined;
  }
  const options = { verbose: ctx.verbose, signal: request.signal };
  const services = parseServiceRows(spec.stack, (await run(serviceLsArgv(spec.stack), options)).stdout);
  const labelled = services.length > 1 || services.some((service) => service.desired > 1);
  const started = request.run ? new Date(request.run.startedAt) : undefined;
  const since = started && !Number.isNaN(started.getTime()) && (!request.since || started > request.since) ? started : request.since;
  const filter = lineFilter({ since, until: request.until, match: request.match });
  const keep = (line: LogLine) => !filter || filter({ ...line, text: ctx.redact(line.text) });
  const shown = (line: LogLine): LogLine => ({ ...line, text: ctx.redact(line.text) });
  const begun = new Date();
  if (request.lines > 0) {
    // Docker cuts --tail before stack's own narrowing: with a pattern or an end, every line is read.
    const tail = Number.isFinite(request.lines) && !request.match && !request.until ? request.lines : undefined;
    const read: Stamped[] = [];
    await Promise.all(
      services.map((service) =>
        streamCommand(serviceLogsArgv(`${spec.stack}_${service.name}`, { ...(tail === undefined ? {} : { tail }), ...(since ? { since: engineStamp(since) } : {}) }), {
          ...options,
          onLine: (raw, stream) => {
            const parsed = parseServiceLogLine(spec.stack, raw, stream, labelled);
            if (parsed && keep(parsed.line)) read.push(parsed);
          },
        }),
      ),
    );
    read.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
    const last = Number.isFinite(request.lines) ? read.slice(-request.lines) : read;
    if (last.length > 0) request.write(last.map((entry) => shown(entry.line)));
  }
  request.caughtUp?.();
  if (!request.follow) return undefined;
  await Promise.all(
    services.map((service) =>
      streamCommand(serviceLogsArgv(`${spec.stack}_${service.name}`, { follow: true, since: engineStamp(begun) }), {
        ...options,
        onLine: (raw, stream) => {
          const parsed = parseServiceLogLine(spec.stack, raw, stream, labelled);
          if (parsed && keep(parsed.line)) request.write([shown(parsed.line)]);
        },
      }),
    ),
  );
  return undefined;
}
