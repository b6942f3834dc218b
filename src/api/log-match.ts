import type { LogLine } from '../model/log-line.js';
import { ExitCode, StackError } from '../model/errors.js';
import { compileLinePattern } from '../providers/log-pattern.js';

/** What `stack logs` (and the API, the dashboard, MCP) may narrow a log to besides its times. */
export interface LogNarrowing {
  /** A pattern in RE2's syntax (linear time: no pattern can stall stack), tested on each line's text. */
  grep?: string | undefined;
  /** Only what the services wrote to stderr. */
  stderr?: boolean | undefined;
}

/** The `match` of a LogsRequest for these, undefined when they narrow nothing; a bad pattern is the user's mistake, said. */
export async function logMatchOf(narrowing: LogNarrowing): Promise<((line: LogLine) => boolean) | undefined> {
  const { grep, stderr } = narrowing;
  if (grep === undefined && !stderr) return undefined;
  const pattern =
    grep === undefined
      ? undefined
      : await compileLinePattern(grep).catch((error: unknown) => {
          throw new StackError(ExitCode.actionFailed, `--grep takes a pattern in RE2's syntax: ${error instanceof Error ? error.message : String(error)}`);
        });
  return (line) => (!stderr || line.stream === 'stderr') && (pattern === undefined || pattern.test(line.text));
}

const AGO_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `10m`, `2h`, `30s`, `1d` (that long before `now`) or a time (ISO 8601), for `--since` and `--until`. */
export function timeOption(text: string, flag: string, now = Date.now()): Date {
  // Days too, and no cap: a log reaches further back than any timeout in stack.yaml.
  const ago = /^\s*(\d{1,9})(ms|s|m|h|d)\s*$/.exec(text);
  if (ago) return new Date(now - Number(ago[1]) * AGO_MS[ago[2] as keyof typeof AGO_MS]);
  const at = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new StackError(ExitCode.actionFailed, `${flag} takes a duration ago (10m, 2h) or a time (2026-12-05T08:00:00Z), got "${text}"`);
  return new Date(at);
}
