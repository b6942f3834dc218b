import type { AppliedService } from '../../model/observed.js';
import type { OperationContext, SignalOutcome } from '../../model/provider.js';
import { signalRun } from '../../os/stop-group.js';
import { markedOutsideRun } from '../../state/adopt.js';

/**
 * `stack signal` for a process service: the recorded run's process group, what it started
 * outside the group (linked by PPid, or found by its marker once its parent is gone), never a
 * pid that now belongs to another process (checked by its start ticks, as a stop does).
 */
export async function signalProcess(name: string, applied: AppliedService, signal: NodeJS.Signals, ctx: OperationContext): Promise<SignalOutcome> {
  const { pid, startTicks } = applied;
  if (pid === undefined) return { kind: 'not-running', reason: 'no run is recorded' };
  if (startTicks === undefined) return { kind: 'not-running', reason: `pid ${pid} was recorded without its start time; not signalling it` };
  const pgid = applied.pgid ?? pid;
  const sent = await signalRun({ pid, pgid, startTicks }, signal, ctx.verbose);
  if (sent.kind === 'recycled') return { kind: 'not-running', reason: `pid ${pid} now belongs to another process; not signalling it` };
  if (sent.kind === 'already-gone') return { kind: 'not-running', reason: `pid ${pid} is gone` };
  const reached = new Set(sent.outside.map((descendant) => descendant.pid));
  let left = reached.size > 0;
  for (const run of await markedOutsideRun(ctx.stateDir, name, { pid, pgid, startTicks }, sent.outside)) {
    if (!reached.has(run.pid) && (await signalRun(run, signal, ctx.verbose)).kind === 'sent') left = true;
  }
  // Not counted: what left the group may itself be a group whose members come and go.
  return { kind: 'sent', to: `process group ${pgid}${left ? ' and what it started outside that group' : ''}` };
}
