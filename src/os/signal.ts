/** What became of a signal sent to one process. */
export type SignalResult = 'sent' | 'gone' | 'denied';

/**
 * Sends `signal` to the process `pid` (never a group: see `signalGroup` in runner.ts). `gone`:
 * it no longer exists (ESRCH); `denied`: it belongs to another user (EPERM). Anything else throws.
 */
export function signalProcess(pid: number, signal: NodeJS.Signals): SignalResult {
  if (!Number.isInteger(pid) || pid <= 1) throw new RangeError(`refusing to signal pid ${pid}`);
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'denied';
    throw error;
  }
}
