import { ExitCode, StackError } from '../../model/errors.js';
import { streams, useColor, type GlobalOptions } from '../context.js';
import { formatEvent } from '../event-line.js';
import { throughController } from '../through-controller.js';

/**
 * `stack events [--json]`: what the running controller sees and does, as it happens, until
 * Ctrl+C (exit 0) or the controller ends. `--json`: each event as one NDJSON line, as the API sends it.
 */
export async function run(options: GlobalOptions): Promise<number> {
  const color = useColor(options);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const followed = await throughController(options, async (api) => {
      for await (const event of api.events({ signal: abort.signal })) {
        const line = options.json ? JSON.stringify(event) : formatEvent(event, color);
        if (line !== undefined) streams.stdout.write(`${line}\n`);
      }
      return true;
    }, 'nothing to follow').catch((error: unknown) => {
      if (abort.signal.aborted) return true;
      throw error;
    });
    if (!followed) {
      throw new StackError(ExitCode.actionFailed, 'no controller answers for this stack: there are no events to follow', { hint: '`stack up` or `stack watch` starts one' });
    }
    if (!abort.signal.aborted && !options.json) streams.stderr.write('the controller ended\n');
    return ExitCode.ok;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
