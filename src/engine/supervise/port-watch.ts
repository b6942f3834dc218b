import type { Desired } from '../../model/desired.js';
import type { Applied, Observed } from '../../model/observed.js';
import type { Redact } from '../../model/redact.js';
import { findServicePortOwners, type PortOwner } from '../service-ports.js';

/** How often the controller reads who listens on the declared ports. */
const PORT_TICK_MS = 2000;

/**
 * Who listens on each service's declared ports, as the controller last read it from /proc (on a
 * tick, and when asked after a pass): `GET /v1/status` shows this and never reads /proc itself,
 * so a status is as old as the last tick at most. A stack that declares no port costs nothing.
 */
export class PortWatch {
  private owners: ReadonlyMap<string, PortOwner[]> = new Map();
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;

  constructor(
    private readonly view: () => { desired: Desired; applied: Applied; observed: Observed },
    private readonly redact: Redact,
  ) {}

  get known(): ReadonlyMap<string, PortOwner[]> {
    return this.owners;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), PORT_TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads again now (one read at a time); a failed read keeps what was known. */
  refresh(): Promise<void> {
    this.reading ??= (async () => {
      const { desired, applied, observed } = this.view();
      const views = desired.services.map((service) => ({ service, record: applied.get(service.name), observed: observed.get(service.name) }));
      const owners = await findServicePortOwners(views, this.redact);
      // The same owners keep the same map: what the controller made of them stays good.
      if (JSON.stringify([...owners]) !== JSON.stringify([...this.owners])) this.owners = owners;
    })()
      .catch(() => undefined)
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
