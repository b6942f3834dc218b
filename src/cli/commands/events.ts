import { eventsFileOf, findStack, readEventJournal } from '../../api.js';
import { parseDuration } from '../../config/units.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { EventBody } from '../../api/protocol.js';
import { streams, useColor, type GlobalOptions } from '../context.js';
import { formatEvent } from '../event-line.js';
import { throughController } from '../through-controller.js';

interface EventsOptions extends GlobalOptions {
  since?: string;
  follow?: boolean;
}

/**
 * `stack events [NAMES…] [--since 10m|ISO] [--no-follow] [--json]`: what the running controller
 * sees and does, as it happens, until Ctrl+C (exit 0) or the controller ends; with `--since`, the
 * events it kept since then first. Without a controller, `--since` prints what the last one kept
 * (`.stack/events.log`). `--json`: each event as one NDJSON line, as the API sends it.
 */
export async function run(options: EventsOptions, names: string[]): Promise<number> {
  const since = options.since === undefined ? undefined : sinceOf(options.since);
  const follow = options.follow !== false;
  const color = useColor(options);
  const print = (event: EventBody) => {
    const line = options.json ? JSON.stringify(event) : formatEvent(event, color);
    if (line !== undefined) streams.stdout.write(`${line}\n`);
  };
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const query = { signal: abort.signal, ...(since === undefined ? {} : { since }), services: names, follow };
    const followed = await throughController(options, async (api) => {
      for await (const event of api.events(query)) print(event);
      return true;
    }, 'nothing to follow').catch((error: unknown) => {
      if (abort.signal.aborted) return true;
      throw error;
    });
    if (!followed) return await kept(options, since, names, follow, print);
    if (follow && !abort.signal.aborted && !options.json) streams.stderr.write('the controller ended\n');
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Without a controller: the events the last one kept, when asked for some (`--since`, `--no-follow`). */
async function kept(options: EventsOptions, since: string | undefined, names: string[], follow: boolean, print: (event: EventBody) => void): Promise<number> {
  if (since === undefined && follow) {
    throw new StackError(ExitCode.actionFailed, 'no controller answers for this stack: there are no events to follow', {
      hint: '`stack up` or `stack watch` starts one; `stack events --since 1h` prints what the last one kept',
    });
  }
  const file = eventsFileOf(findStack({ file: options.file }));
  for (const event of await readEventJournal(file, { ...(since === undefined ? {} : { since }), services: names })) print({ formatVersion: 1, ...event } as EventBody);
  if (follow && !options.json) streams.stderr.write('no controller runs: these are the events the last one kept, nothing more to follow\n');
  return ExitCode.ok;
}

/** `10m`, `2h` (that long ago) or a time (ISO 8601): the wall time as ISO. */
function sinceOf(text: string): string {
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(Date.now() - ago).toISOString();
  const at = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new StackError(ExitCode.actionFailed, `--since takes a duration (10m, 2h) or a time (2026-12-05T08:00:00Z), got "${text}"`);
  return new Date(at).toISOString();
}
