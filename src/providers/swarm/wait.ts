// After a deploy: the rolling update ends and every service reaches its replicas, or the apply
// fails with what swarm said (the update's message and the tasks' errors).
import type { DesiredService } from '../../model/desired.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { formatDuration, waitForProbe, type ProbeClock } from '../probes.js';
import { serviceOfStack, type InspectedService } from './fields.js';
import type { SwarmSpec } from './spec.js';
import type { StackCommands } from './stack-commands.js';
import { shortServices, stackStatus, taskErrors } from './status.js';

/** Without a `ready.timeout`, how long a deploy may take to converge. */
export const DEFAULT_READY_TIMEOUT_MS = 120_000;

const UPDATING = new Set(['updating', 'rollback_started']);
const UPDATE_FAILED = new Set(['paused', 'rollback_paused', 'rollback_completed']);

export interface WaitInput {
  service: DesiredService;
  spec: SwarmSpec;
  commands: StackCommands;
  ctx: OperationContext;
  clock: ProbeClock;
  pollMs: number;
}

/** How the last update of each service stands: the ones in flight, and the ones that failed. */
export function updateStates(stack: string, inspected: readonly InspectedService[]): { updating: string[]; failed: { service: string; state: string; message: string }[] } {
  const updating: string[] = [];
  const failed: { service: string; state: string; message: string }[] = [];
  for (const service of inspected) {
    const state = service.UpdateStatus?.State ?? '';
    const name = serviceOfStack(stack, service.Spec.Name);
    if (UPDATING.has(state)) updating.push(name);
    if (UPDATE_FAILED.has(state)) failed.push({ service: name, state: state.replace('_', ' '), message: service.UpdateStatus?.Message ?? '' });
  }
  return { updating, failed };
}

/** Resolves once the stack converged (and the `ready` probe, if any, passes); rejects with an OperationError otherwise. */
export async function waitConverged(input: WaitInput): Promise<void> {
  const { service, spec, commands, ctx, clock } = input;
  const timeoutMs = service.ready?.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    ctx.signal.throwIfAborted();
    const services = await commands.services();
    const updates = updateStates(spec.stack, await commands.inspect(services.map((row) => row.id)));
    const tasks = await commands.tasks(services.map((row) => row.id));
    if (updates.failed.length > 0) {
      const errors = taskErrors(tasks, updates.failed.map((failed) => failed.service));
      const what = updates.failed.map((failed) => `the update of ${failed.service} ended ${failed.state}${failed.message ? ` (${failed.message})` : ''}`).join('; ');
      throw failure(service.name, `${what}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`, errors, ctx);
    }
    const now = stackStatus(services, tasks);
    if (updates.updating.length === 0 && now.phase === 'running') break;
    if (updates.updating.length === 0 && now.phase === 'crashed') throw failure(service.name, `tasks fail: ${now.detail ?? ''}`, [], ctx);
    if (clock.now() >= deadline) {
      const pending = updates.updating.length > 0 ? `updating ${updates.updating.join(', ')}` : shortServices(services).map((row) => `${row.name} ${row.running}/${row.desired}`).join(', ');
      throw failure(service.name, `not converged after ${formatDuration(timeoutMs)} (${pending || now.phase})`, [], ctx);
    }
    await clock.sleep(Math.min(input.pollMs, Math.max(0, deadline - clock.now())), ctx.signal);
  }
  if (service.ready) {
    const result = await waitForProbe(service.ready, { signal: ctx.signal, clock, cwd: ctx.root, env: spec.env, verbose: ctx.verbose, redact: ctx.redact });
    if (!result.ok) throw failure(service.name, `not ready: ${result.reason}`, [], ctx);
  }
}

function failure(name: string, why: string, errors: string[], ctx: OperationContext): OperationError {
  return new OperationError(name, ctx.redact(`${name}: ${why}`), { logTail: errors.map((line) => ctx.redact(line)) });
}
