import type { Applied, Observed } from '../../model/observed.js';
import type { Redact } from '../../model/redact.js';
import type { ServiceUsage } from '../../reconcile/status-rows.js';
import { UsageSampler } from '../service-usage.js';
import { monotonicMs } from '../../os/monotonic.js';
import type { MemoryWatchdog } from './memory-watchdog.js';

/** How often the controller reads what its services use; a service's `cpu` is its average over this interval. */
const USAGE_TICK_MS = 2000;
/** The tick while the memory watchdog has a limit to keep (memory-watchdog.ts): every second. */
const WATCHDOG_TICK_MS = 1000;
/**
 * Time between two readings the providers make themselves (compose: `docker stats`, a docker
 * CLI run and a second of the engine's sampling per service): every 10 s, not every tick.
 */
const PROVIDER_EVERY_MS = 10_000;

export interface UsageView {
  applied: Applied;
  observed: Observed;
  redact: Redact;
}

/**
 * CPU %, memory and command line of each running service, as the controller last read them:
 * process services from /proc (one pass per tick), the others from their provider when it reads
 * them (compose: the engine, every PROVIDER_TICKS ticks, one reading in flight at a time).
 * `GET /v1/status` shows this and never reads /proc or asks docker itself. A stack with no
 * running service reads nothing.
 */
export class UsageWatch {
  private usage: ReadonlyMap<string, ServiceUsage> = new Map();
  private fromProviders: ReadonlyMap<string, ServiceUsage> = new Map();
  private readonly sampler: UsageSampler;
  private timer?: NodeJS.Timeout;
  private askedAt = Number.NEGATIVE_INFINITY;
  private asking = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly view: () => UsageView,
    grouped: (provider: string) => boolean,
    private readonly askProviders: (view: UsageView, signal: AbortSignal) => Promise<Map<string, ServiceUsage>> = async () => new Map(),
    private readonly watchdog?: MemoryWatchdog,
  ) {
    this.sampler = new UsageSampler(grouped);
  }

  get known(): ReadonlyMap<string, ServiceUsage> {
    return this.usage;
  }

  start(): void {
    this.refresh();
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.closing.abort();
  }

  // A chain of timeouts, so the tick follows whether the watchdog has a limit to keep now.
  private schedule(): void {
    if (this.closing.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.refresh();
      this.schedule();
    }, this.watchdog?.active === true ? WATCHDOG_TICK_MS : USAGE_TICK_MS);
  }

  /** Reads again now; a failed read (no /proc) keeps what was known. */
  refresh(): void {
    try {
      const view = this.view();
      const up = (name: string) => ['running', 'starting', 'stopping'].includes(view.observed.get(name)?.phase ?? '');
      // A provider's reading is kept until its next one, for as long as the service runs.
      const kept = [...this.fromProviders].filter(([name]) => up(name));
      const sampled = this.sampler.sample(view.applied, view.observed, view.redact);
      this.usage = new Map([...kept, ...sampled]);
      this.watchdog?.check(sampled);
      const now = monotonicMs();
      if (now - this.askedAt >= PROVIDER_EVERY_MS) {
        this.askedAt = now;
        this.askTheProviders(view);
      }
    } catch {
      // Kept: the last reading.
    }
  }

  private askTheProviders(view: UsageView): void {
    if (this.asking) return;
    this.asking = true;
    this.askProviders(view, this.closing.signal)
      .then((read) => (this.fromProviders = read))
      .catch(() => undefined)
      .finally(() => (this.asking = false));
  }
}
