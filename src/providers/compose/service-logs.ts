// The compose provider's side of the `logs` contract: one service's containers, through docker.
import type { ComposeSpec } from './spec.js';
import type { LogsRequest, OperationContext } from '../../model/provider.js';
import { followComposeLogs } from './follow-logs.js';
import { composeLogs } from './logs.js';

/**
 * With `since` and `follow` (`stack up`): every container of the service from then on, followed
 * again after restarts and recreations. Otherwise `docker compose logs` (with -f, until the
 * signal aborts). Lines arrive as docker prints them: `caughtUp` is called at once.
 */
export async function showComposeLogs(name: string, spec: ComposeSpec | undefined, request: LogsRequest, ctx: Pick<OperationContext, 'verbose' | 'redact'>): Promise<undefined> {
  request.caughtUp?.();
  if (!spec) return undefined;
  // A container may print its own secrets.
  const write = (_service: string, line: string) => request.write([{ text: ctx.redact(line), stream: 'stdout' }]);
  if (request.follow && request.since) {
    await followComposeLogs({ specs: () => new Map([[name, spec]]), since: request.since, signal: request.signal, write, verbose: ctx.verbose });
  } else {
    await composeLogs(new Map([[name, spec]]), { follow: request.follow, lines: request.lines, signal: request.signal, verbose: ctx.verbose, write });
  }
  return undefined;
}
