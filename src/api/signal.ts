import { ExitCode, StackError } from '../model/errors.js';
import type { Applied } from '../model/observed.js';
import type { SignalOutcome } from '../model/provider.js';
import { signalNamed } from '../os/signal.js';
import type { Workspace } from '../engine/workspace.js';

/** What `stack signal` did to one service it was asked to signal. */
export type ServiceSignalled = { service: string } & (SignalOutcome | { kind: 'failed'; reason: string });

/**
 * The signal `text` names (`HUP`, `SIGHUP`, `hup`, `1`); exit 1 for 0 and for names this
 * platform does not know.
 */
export function parseSignal(text: string): NodeJS.Signals {
  const signal = signalNamed(text);
  if (signal) return signal;
  if (/^0+$/.test(text.trim())) throw new StackError(ExitCode.actionFailed, 'signal 0 sends nothing (it only tells whether a process exists)', { hint: 'name a signal: HUP, TERM, USR1, … or its number' });
  throw new StackError(ExitCode.actionFailed, `unknown signal "${text}"`, { hint: 'name a signal: HUP, SIGHUP or 1; TERM, USR1, … (`kill -l` lists them)' });
}

/**
 * `stack signal`: sends `signal` once to each of `names` that runs, through its provider, and
 * records nothing (no lock: nothing is written; the service stays desired running). A service
 * that does not run, or whose provider cannot signal, is reported and left alone.
 */
export async function signalServices(workspace: Workspace, applied: Applied, names: readonly string[], signal: NodeJS.Signals): Promise<ServiceSignalled[]> {
  return Promise.all(names.map(async (service) => ({ service, ...(await signalOne(workspace, applied, service, signal)) })));
}

async function signalOne(workspace: Workspace, applied: Applied, name: string, signal: NodeJS.Signals): Promise<SignalOutcome | { kind: 'failed'; reason: string }> {
  const record = applied.get(name);
  const desired = workspace.desired.services.find((service) => service.name === name);
  const providerName = desired?.provider ?? record?.provider;
  if (!record || !providerName) return { kind: 'not-running', reason: 'it was never started' };
  const ctx = { ...workspace.ctx, signal: AbortSignal.timeout(60_000) };
  try {
    const provider = await workspace.providers.get(providerName);
    if (!provider.signal) return { kind: 'failed', reason: `${providerName} services cannot be signalled (stack does not know their processes)` };
    const observed = await provider.observe(name, desired, record, ctx);
    if (observed.phase !== 'running' && observed.phase !== 'starting') return { kind: 'not-running', reason: observed.detail ? `${observed.phase}: ${observed.detail}` : observed.phase };
    return await provider.signal(name, record, signal, ctx);
  } catch (error) {
    // A provider's error names the service already; the caller names it once.
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'failed', reason: message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message };
  }
}
