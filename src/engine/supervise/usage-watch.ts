import type { Applied, Observed } from '../../model/observed.js';
import type { Redact } from '../../model/redact.js';
import type { ServiceUsage } from '../../reconcile/status-rows.js';
import { UsageSampler } from '../service-usage.js';

/** How often the controller reads what its services use; a service's `cpu` is its average over this interval. */
const USAGE_TICK_MS = 2000;
/**
 * Ticks between two readings the providers make themselves (compose: `docker stats`, a docker
 * CLI run and a second of the engine's sampling per service): every 10 s, not every 2 s.
 */
const PROVIDER_TICKS = 5;

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
  private ticks = 0;
  private asking = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly view: () => UsageView,
    grouped: (provider: string) => boolean,
    private readonly askProviders: (view: UsageView, signal: AbortSignal) => Promise<Map<string, ServiceUsage>> = async () => new Map(),
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
    this.closing.abort();
  }

  /** Reads again now; a failed read (no /proc) keeps what was known. */
  refresh(): void {
    try {
      const view = this.view();
      const up = (name: string) => ['running', 'starting', 'stopping'].includes(view.observed.get(name)?.phase ?? '');
      // A provider's reading is kept until its next one, for as long as the service runs.
      const kept = [...this.fromProviders].filter(([name]) => up(name));
      this.usage = new Map([...kept, ...this.sampler.sample(view.applied, view.observed, view.redact)]);
      if (this.ticks++ % PROVIDER_TICKS === 0) this.askTheProviders(view);
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
