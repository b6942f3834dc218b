import type { Clock } from '../model/clock.js';
import type { DesiredService } from '../model/desired.js';
import { withoutServicePrefix } from '../model/errors.js';
import type { AppliedService } from '../model/observed.js';
import type { Provider } from '../model/provider.js';
import { redactorOf } from '../config/secrets.js';

/** How a run ended, as its record keeps it. */
export interface RunEnd {
  /** Stack stopped it on purpose (a stop, `down`): it reads as stopped, not crashed. */
  stoppedByUs: boolean;
  /** How it ended, where known; without it the record keeps the last exit it had. */
  exit?: { code: number | null; signal: string | null; reason: string; duringStart?: boolean };
}

/**
 * The one way a record learns that its run ended (stopped, crashed, found gone, or a start that
 * left no run): the run is forgotten (pid, group, start ticks) and how it ended is kept, with when.
 */
export function recordExit(current: AppliedService, end: RunEnd, clock: Clock): AppliedService {
  const { exit } = end;
  return {
    ...current,
    pid: undefined,
    pgid: undefined,
    startTicks: undefined,
    stoppedByUs: end.stoppedByUs,
    // A stop of stack's own ends what a dependency's stop said of it too.
    ...(end.stoppedByUs ? { stoppedWith: undefined } : {}),
    lastExit: exit
      ? { code: exit.code, signal: exit.signal, at: clock.nowIso(), reason: exit.reason, ...(exit.duringStart ? { duringStart: true } : {}) }
      : current.lastExit,
  };
}

/**
 * A start that failed and left no run (not found, never ready and stopped again) is recorded as
 * a crash, so `status` and the next plan say `crashed` and why, not `stopped`, which would read as
 * stopped on purpose. Only where the provider reads exits from the record; others observe the
 * service itself. Every failed start is, a supervisor's retries included.
 */
export function recordFailedStart(
  current: AppliedService | undefined,
  provider: Pick<Provider, 'capabilities'> | undefined,
  failed: { name: string; service: DesiredService | undefined; error: string },
  clock: Clock,
): AppliedService | undefined {
  if (!current || current.pid !== undefined || provider?.capabilities.readsExitsFromRecord !== true) return current;
  const { name, service, error } = failed;
  // Errors quote paths, argv, URLs and the service's own log lines: secret values never get out.
  const said = withoutServicePrefix(name, error);
  const reason = (service ? redactorOf({ services: [service] })(said) : said).split('\n')[0] as string;
  return recordExit(current, { stoppedByUs: false, exit: { code: null, signal: null, reason, duringStart: true } }, clock);
}
