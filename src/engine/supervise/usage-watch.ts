import type { Applied, Observed } from '../../model/observed.js';
import type { ServiceUsage } from '../../reconcile/status-rows.js';
import { UsageSampler } from '../service-usage.js';

/** How often the controller reads what its services use; a service's `cpu` is its average over this interval. */
const USAGE_TICK_MS = 2000;

/**
 * CPU % and memory of each running process service, as the controller last read them from /proc
 * (one pass over /proc per tick): `GET /v1/status` shows this and never reads /proc itself. A
 * stack with no running process service reads nothing.
 */
export class UsageWatch {
  private usage: ReadonlyMap<string, ServiceUsage> = new Map();
  private readonly sampler: UsageSampler;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly view: () => { applied: Applied; observed: Observed },
    grouped: (provider: string) => boolean,
  ) {
    this.sampler = new UsageSampler(grouped);
  }

  get known(): ReadonlyMap<string, ServiceUsage> {
    return this.usage;
  }

  start(): void {
    this.refresh();
    this.timer = setInterval(() => this.refresh(), USAGE_TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads again now; a failed read (no /proc) keeps what was known. */
  refresh(): void {
    try {
      const { applied, observed } = this.view();
      this.usage = this.sampler.sample(applied, observed);
    } catch {
      // Kept: the last reading.
    }
  }
}
