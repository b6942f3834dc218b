import { isScheduled, type DesiredService, type OverlapPolicy, type ScheduleSpec } from '../../model/desired.js';
import type { Clock, MachineClock } from '../../model/clock.js';
import { nextRunAfter } from '../../config/schedule.js';

/** How a scheduled run ended: it ran (ok or not), or it did not start (why). */
export type ScheduledEnd = { ran: true; ok: boolean; reason?: string } | { ran: false; reason: string };

/** What a schedule did when its time came, or how its run ended. */
export type ScheduleNews =
  | { what: 'run' | 'replaced' | 'queued'; service: string; schedule: string }
  | { what: 'skipped'; service: string; schedule: string; reason: string }
  | { what: 'ended'; service: string; schedule: string; ok: boolean; reason?: string };

/** What the schedules ask of the controller that holds them. */
export interface ScheduleHost {
  time: Clock;
  /** Timers (tests: a simulated clock). Default: Node's. */
  timers?: MachineClock;
  /** A run not started here is in progress (`stack restart`, a pass). */
  isRunning(name: string): boolean;
  /** Runs the task now, stopping a run in progress first when `replace`; resolves when the run ends. */
  run(name: string, replace: boolean): Promise<ScheduledEnd>;
  told(news: ScheduleNews): void;
}

interface Entry {
  spec: ScheduleSpec;
  /** What the spec was armed from: a change re-arms it. */
  key: string;
  /** When the schedule began (an interval counts from it). */
  anchor: number;
  /** When it next comes due; undefined: never again. */
  due: number | undefined;
  timer?: unknown;
  /** The run this schedule started, until it ends, and whether a later run replaced it. */
  running?: Promise<void>;
  current?: { replaced: boolean };
  /** A run came due while one ran (`overlap: queue`): it begins when that one ends. */
  queued: boolean;
}

/**
 * Waits are cut to this and checked again on waking, so a wall clock that is set (or a machine
 * that slept) moves a cron schedule's run to when it is due by the clock, not by the timer.
 */
const MAX_WAIT_MS = 60_000;
/** How often a queued run looks again for the end of a run it did not start. */
const QUEUE_POLL_MS = 1_000;

const nodeTimers: MachineClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/**
 * The controller's schedules (`schedule:` of tasks): one timer per scheduled task that stack.yaml
 * wants running, fired when the task comes due, with its overlap policy when a run is still going.
 * A run the machine slept through runs once on waking, not once per missed time.
 */
export class Schedules {
  private readonly entries = new Map<string, Entry>();
  private readonly timers: MachineClock;
  private stopped = false;

  constructor(private readonly host: ScheduleHost) {
    this.timers = host.timers ?? nodeTimers;
  }

  /** Arms the schedules of `services` that should run; disarms the others (a run in progress goes on). */
  update(services: readonly DesiredService[]): void {
    if (this.stopped) return;
    const wanted = new Map(services.filter((service) => isScheduled(service) && service.enabled && service.state === 'running').map((service) => [service.name, service.task?.schedule as ScheduleSpec]));
    for (const [name, entry] of this.entries) {
      if (wanted.get(name) === undefined || JSON.stringify(wanted.get(name)) !== entry.key) this.disarm(name, entry);
    }
    const now = this.host.time.now();
    for (const [name, spec] of wanted) {
      if (this.entries.has(name)) continue;
      const entry: Entry = { spec, key: JSON.stringify(spec), anchor: now, due: nextRunAfter(spec, now), queued: false };
      this.entries.set(name, entry);
      this.arm(name, entry);
    }
  }

  /** When each armed schedule next comes due (ISO), by task; null when never again. */
  nextRuns(): ReadonlyMap<string, string | null> {
    return new Map([...this.entries].map(([name, entry]) => [name, entry.due === undefined ? null : new Date(entry.due).toISOString()]));
  }

  /** Disarms every schedule; runs in progress are the controller's to stop. */
  stop(): void {
    this.stopped = true;
    for (const [name, entry] of this.entries) this.disarm(name, entry);
  }

  /** Resolves once the runs this started have ended. */
  async settle(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => entry.running));
  }

  private disarm(name: string, entry: Entry): void {
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.queued = false;
    this.entries.delete(name);
  }

  private arm(name: string, entry: Entry): void {
    if (entry.due === undefined || this.stopped) return;
    const wait = Math.min(MAX_WAIT_MS, Math.max(0, entry.due - this.host.time.now()));
    entry.timer = this.timers.setTimeout(() => this.wake(name, entry), wait);
  }

  private wake(name: string, entry: Entry): void {
    entry.timer = undefined;
    if (this.entries.get(name) !== entry || entry.due === undefined) return;
    const now = this.host.time.now();
    if (now < entry.due) return this.arm(name, entry);
    entry.due = nextRunAfter(entry.spec, now, entry.anchor);
    this.arm(name, entry);
    this.due(name, entry);
  }

  /** The task came due: it runs, or the overlap policy says what instead. */
  private due(name: string, entry: Entry): void {
    const schedule = entry.spec.text;
    const busy = entry.running !== undefined || this.host.isRunning(name);
    if (!busy) return this.begin(name, entry, false);
    const policy: OverlapPolicy = entry.spec.overlap;
    if (policy === 'replace') return this.begin(name, entry, true);
    if (policy === 'queue' && !entry.queued) {
      entry.queued = true;
      this.host.told({ what: 'queued', service: name, schedule });
      if (entry.running === undefined) this.pollQueued(name, entry);
      return;
    }
    const reason = policy === 'queue' ? 'a run already waits for the last one to end' : 'its last run has not ended';
    this.host.told({ what: 'skipped', service: name, schedule, reason });
  }

  private begin(name: string, entry: Entry, replace: boolean): void {
    const schedule = entry.spec.text;
    this.host.told({ what: replace ? 'replaced' : 'run', service: name, schedule });
    if (entry.current) entry.current.replaced = true;
    const current = { replaced: false };
    entry.current = current;
    const told = (end: ScheduledEnd): void => {
      if (!end.ran) return this.host.told({ what: 'skipped', service: name, schedule, reason: end.reason });
      const reason = current.replaced && !end.ok ? 'stopped: the next scheduled run replaced it' : end.reason;
      this.host.told({ what: 'ended', service: name, schedule, ok: end.ok, ...(reason === undefined ? {} : { reason }) });
    };
    const run = this.host.run(name, replace).then(told, (error: unknown) => told({ ran: true, ok: false, reason: error instanceof Error ? error.message : String(error) }));
    // A replacing run takes the place of the one it stopped, whose end must not clear it.
    const running: Promise<void> = run.finally(() => {
      if (entry.running !== running) return;
      entry.running = undefined;
      entry.current = undefined;
      if (entry.queued && this.entries.get(name) === entry) {
        entry.queued = false;
        this.begin(name, entry, false);
      }
    });
    entry.running = running;
  }

  /** A queued run behind a run this did not start: it begins once that one has ended. */
  private pollQueued(name: string, entry: Entry): void {
    this.timers.setTimeout(() => {
      if (this.entries.get(name) !== entry || !entry.queued || entry.running !== undefined) return;
      if (this.host.isRunning(name)) return this.pollQueued(name, entry);
      entry.queued = false;
      this.begin(name, entry, false);
    }, QUEUE_POLL_MS);
  }
}
