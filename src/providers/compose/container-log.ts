// One container's log as the engine kept it: `docker logs --timestamps`, which puts the engine's
// time on every line and writes the container's stdout to its stdout and its stderr to its
// stderr, so each line keeps its time and its stream. `docker-compose logs` (v1) merges the two
// and has no --since or --until; the engine has both, for compose v1 and v2 alike.
import { normalStamp, type LogLine } from '../../model/log-line.js';
import { streamCommand } from '../../os/runner.js';
import { containerLogsArgv, type ContainerLogsOptions } from './argv.js';

/** A line with the engine's stamp to the nanosecond (what lines are ordered and a follow resumed by). */
export interface StampedLine {
  stamp: string;
  line: LogLine & { at: string };
}

export interface ReadContainerLogOptions extends ContainerLogsOptions {
  env?: Record<string, string> | undefined;
  signal: AbortSignal;
  verbose?: ((line: string) => void) | undefined;
  onLine: (line: StampedLine) => void;
}

/** What docker said when it fails, in a few of its own lines. */
const COMPLAINT_LINES = 3;

/**
 * Reads the log of container `id` (until the container stops, following), handing over every
 * line as it comes. Resolves with docker's complaint when it failed, undefined when it did not
 * or the container was removed meanwhile.
 */
export async function readContainerLog(id: string, options: ReadContainerLogOptions): Promise<string | undefined> {
  const complaints: string[] = [];
  const result = await streamCommand(containerLogsArgv(id, options), {
    env: options.env,
    signal: options.signal,
    verbose: options.verbose,
    onLine: (raw, stream) => {
      const line = stampedLine(raw, stream);
      // Without a stamp the line is docker's own ("Error response from daemon: …"), not the container's.
      if (line) options.onLine(line);
      else if (stream === 'stderr' && complaints.length < COMPLAINT_LINES) complaints.push(raw.trim());
    },
  });
  if (result.exitCode === 0 || options.signal.aborted) return undefined;
  const said = complaints.join(' ');
  if (/no such container/i.test(said)) return undefined;
  return said || result.spawnError || `docker logs exited ${result.exitCode ?? result.signal}`;
}

function stampedLine(raw: string, stream: 'stdout' | 'stderr'): StampedLine | undefined {
  const stamped = splitStamp(raw);
  if (!stamped) return undefined;
  // A container with a terminal (`tty: true`) ends its lines with \r\n, all on stdout.
  const text = stamped.text.endsWith('\r') ? stamped.text.slice(0, -1) : stamped.text;
  return { stamp: stamped.stamp, line: { text, stream, at: normalStamp(stamped.stamp) as string } };
}

/**
 * `2026-01-02T03:04:05.123456789Z text` → its stamp (fraction padded to nanoseconds, so stamps
 * compare as strings) and text; undefined for a line without one.
 */
export function splitStamp(raw: string): { stamp: string; text: string } | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z ?(.*)$/s.exec(raw);
  if (!match) return undefined;
  return { stamp: `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}Z`, text: match[3] ?? '' };
}

/** A time as docker's --since and --until take it, to the nanosecond; `last` reaches to the end of its millisecond. */
export function engineStamp(time: Date, last = false): string {
  return `${time.toISOString().slice(0, 23)}${last ? '999999' : '000000'}Z`;
}
