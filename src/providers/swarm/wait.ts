// After a deploy: the rolling update ends and every service reaches its replicas, or the apply
// fails with what swarm said (the update's message and the tasks' errors).
import type { DesiredService } from '../../model/desired.js';
import { OperationError, type OperationContext } from '../../model/provider.js';
import { formatDuration, waitForProbe, type ProbeClock } from '../probes.js';
import { serviceOfStack, type InspectedService } from './fields.js';
import type { SwarmSpec } from './spec.js';
import type { StackCommands } from './stack-commands.js';
import { shortServices, stackStatus, taskErrors, type TaskRow } from './status.js';

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

/**
 * Resolves once no rolling update is in flight; rejects with the update's message and the tasks'
 * errors when one paused or rolled back. Part of the deploy itself: a failed update leaves the
 * stack as swarm left it (the old tasks run on), where a failed readiness wait would stop it.
 */
export async function waitUpdated(input: WaitInput): Promise<void> {
  await pollUntil(input, (updates) => updates.updating.length === 0);
}

/**
 * Resolves once the stack converged (and the `ready` probe, if any, passes); rejects with an
 * OperationError otherwise. Tasks that failed since `since` (the deploy) fail it at once; older
 * failures are history (`docker service ps` keeps a few tasks per slot).
 */
export async function waitConverged(input: WaitInput & { since: string }): Promise<void> {
  const { service, spec, ctx, clock, commands } = input;
  const since = Date.parse(input.since);
  await pollUntil(input, async (updates, now, tasks) => {
    if (updates.updating.length === 0 && now.phase === 'crashed') {
      const failed = tasks.filter((task) => task.error);
      const times = await commands.taskTimes(failed.map((task) => task.id));
      const fresh = taskErrors(failed.filter((task) => (times.get(task.id) ?? 0) >= since), shortServices(await commands.services()).map((row) => row.name));
      if (fresh.length > 0) throw failure(service.name, `tasks fail: ${fresh.join('; ')}`, fresh, ctx);
    }
    return updates.updating.length === 0 && now.phase === 'running';
  });
  if (service.ready) {
    const result = await waitForProbe(service.ready, { signal: ctx.signal, clock, cwd: ctx.root, env: spec.env, verbose: ctx.verbose, redact: ctx.redact });
    if (!result.ok) throw failure(service.name, `not ready: ${result.reason}`, [], ctx);
  }
}

type Updates = ReturnType<typeof updateStates>;

// Looks until `done` says so, a service's update failed (rejects), or `ready.timeout` runs out.
async function pollUntil(input: WaitInput, done: (updates: Updates, now: ReturnType<typeof stackStatus>, tasks: TaskRow[]) => boolean | Promise<boolean>): Promise<void> {
  const { service, spec, commands, ctx, clock } = input;
  const timeoutMs = service.ready?.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = clock.now() + timeoutMs;
  for (;;) {
    ctx.signal.throwIfAborted();
    const services = await commands.services();
    const ids = services.map((row) => row.id);
    const updates = updateStates(spec.stack, await commands.inspect(ids));
    const tasks = await commands.tasks(ids);
    if (updates.failed.length > 0) {
      const errors = taskErrors(tasks, updates.failed.map((failed) => failed.service));
      const what = updates.failed.map((failed) => `the update of ${failed.service} ended ${failed.state}${failed.message ? ` (${failed.message})` : ''}`).join('; ');
      throw failure(service.name, `${what}${errors.length > 0 ? `: ${errors.join('; ')}` : ''}`, errors, ctx);
    }
    const now = stackStatus(services, tasks);
    if (await done(updates, now, tasks)) return;
    if (clock.now() >= deadline) {
      const pending = updates.updating.length > 0 ? `updating ${updates.updating.join(', ')}` : shortServices(services).map((row) => `${row.name} ${row.running}/${row.desired}`).join(', ');
      throw failure(service.name, `not converged after ${formatDuration(timeoutMs)} (${pending || now.phase})`, [], ctx);
    }
    await clock.sleep(Math.min(input.pollMs, Math.max(0, deadline - clock.now())), ctx.signal);
  }
}

function failure(name: string, why: string, errors: string[], ctx: OperationContext): OperationError {
  return new OperationError(name, ctx.redact(`${name}: ${why}`), { logTail: errors.map((line) => ctx.redact(line)) });
}
