import type { RestartPolicy, RestartSpec } from '../model/desired.js';

export interface ExitFacts {
  code: number | null;
  signal: string | null;
}

/** Whether a run that ended this way is restarted under `policy` (pm2 and compose semantics). */
export function shouldRestart(policy: RestartPolicy, exit: ExitFacts): boolean {
  if (policy === 'always') return true;
  if (policy === 'no') return false;
  return exit.code !== 0 || exit.signal !== null;
}

/** The wait before restart number `attempt` (1-based): `initial` doubling up to `max`. */
export function backoffDelay(restart: RestartSpec, attempt: number): number {
  const { initialMs, maxMs } = restart.backoff;
  if (attempt <= 1) return Math.min(initialMs, maxMs);
  return Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
}
