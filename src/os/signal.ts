import { constants } from 'node:os';

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

// SIGIOT and SIGPOLL are other names of SIGABRT and SIGIO: a number is named by its first name.
const signalsByNumber = new Map<number, NodeJS.Signals>();
for (const [name, number] of Object.entries(constants.signals)) if (!signalsByNumber.has(number)) signalsByNumber.set(number, name as NodeJS.Signals);

/**
 * The signal `text` names, as a person types it: `HUP`, `SIGHUP`, `hup` or `1`. Undefined when
 * this platform knows no such signal; 0 (which sends nothing) is not one.
 */
export function signalNamed(text: string): NodeJS.Signals | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return signalsByNumber.get(Number(trimmed));
  const name = trimmed.toUpperCase().replace(/^(SIG)?/, 'SIG');
  return Object.hasOwn(constants.signals, name) ? (name as NodeJS.Signals) : undefined;
}
