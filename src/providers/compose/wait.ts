// `wait: true`: a start counts as ready only once every selected service runs and is healthy
// (v2's `up --wait` already waited, so its first look passes; v1 is polled here).
import type { DesiredService } from '../../model/desired.js';
import type { ComposeSpec } from './spec.js';
import { formatDuration, waitForProbe, type ProbeClock } from '../probes.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { logsArgv, type ComposeCli } from './argv.js';
import type { Run } from './cli.js';
import type { ProjectStatus } from './containers.js';
import { runFor } from './project.js';

/** Without a `ready.timeout`, how long health may take (under the machine's 60s readiness bound). */
export const DEFAULT_HEALTH_TIMEOUT_MS = 55_000;
const LOG_LINES = 10;

export interface WaitHealthyInput {
  service: DesiredService;
  spec: ComposeSpec;
  ctx: OperationContext;
  clock: ProbeClock;
  pollMs: number;
  run: Run;
  cli: (ctx: OperationContext) => Promise<ComposeCli>;
  status: (name: string, spec: ComposeSpec, stoppedByUs: boolean, ctx: OperationContext) => Promise<ProjectStatus>;
}

/** Resolves when healthy (and the declared `ready` probe passes); rejects with an OperationError otherwise. */
export async function waitHealthy(input: WaitHealthyInput): Promise<void> {
  const { service, spec, ctx, clock } = input;
  if (spec.wait) {
    const timeoutMs = service.ready?.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      ctx.signal.throwIfAborted();
      const now = await input.status(service.name, spec, false, ctx);
      if (now.phase === 'running' && now.health !== 'unhealthy') break;
      const failed = now.phase === 'crashed' || now.phase === 'absent' || now.health === 'unhealthy';
      if (failed || clock.now() >= deadline) {
        const why = failed ? (now.detail ?? now.phase) : `not healthy after ${formatDuration(timeoutMs)} (${now.detail ?? now.phase})`;
        throw await failure(input, why);
      }
      await clock.sleep(Math.min(input.pollMs, Math.max(0, deadline - clock.now())), ctx.signal);
    }
  }
  if (service.ready) {
    const result = await waitForProbe(service.ready, { signal: ctx.signal, clock, cwd: ctx.root, env: spec.env, verbose: ctx.verbose, redact: ctx.redact });
    if (!result.ok) throw await failure(input, `not ready: ${result.reason}`);
  }
}

async function failure(input: WaitHealthyInput, why: string): Promise<OperationError> {
  const { service, spec, ctx } = input;
  const cli = await input.cli(ctx);
  const logs = await runFor(input.run, service.name, spec, logsArgv(cli, spec, { tail: LOG_LINES }), ctx, 15_000).catch(() => undefined);
  const tail = (logs?.stdout ?? '').split('\n').filter((line) => line.trim()).slice(-LOG_LINES).map((line) => ctx.redact(line));
  const quoted = tail.length > 0 ? `\n  last log lines:\n${tail.map((line) => `  | ${line}`).join('\n')}` : '';
  return new OperationError(service.name, `${service.name}: ${why}${quoted}`, { logTail: tail });
}
