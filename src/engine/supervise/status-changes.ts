import type { Observed, ObservedService } from '../../model/observed.js';
import type { ControllerEvent } from './events.js';

/**
 * Tells `phase` and `probe` events: compares what the controller knows of a service
 * (knownObserved) with what it knew when last told. Asked to look at a service whenever its
 * machine moves or its record changes; the services named within one turn of the event loop are
 * compared once, and only they (with 1,000 services, comparing all of them for each of the 2,000
 * moves of a restart of every one was ~3 s of the controller's CPU).
 */
export class StatusChanges {
  private readonly phases = new Map<string, string>();
  private readonly probes = new Map<string, string>();
  private pending = new Set<string>();

  /** `known(names)`: those of `names` that are declared or recorded; `known()`: every one. */
  constructor(
    private readonly known: (names?: ReadonlySet<string>) => Observed,
    private readonly emit: (event: ControllerEvent) => void,
  ) {
    for (const [name, service] of this.known()) this.compare(name, service, false);
  }

  /** `name` may have changed: compared on the next turn. */
  poke(name: string): void {
    this.pending.add(name);
    if (this.pending.size > 1) return;
    setImmediate(() => {
      const names = this.pending;
      this.pending = new Set();
      const known = this.known(names);
      for (const name of names) {
        const service = known.get(name);
        if (service) {
          this.compare(name, service, true);
        } else {
          // Neither declared nor recorded any more: forgotten, as a full comparison would.
          this.phases.delete(name);
          this.probes.delete(name);
        }
      }
    });
  }

  private compare(name: string, service: ObservedService, tell: boolean): void {
    const previous = this.phases.get(name) ?? 'absent';
    this.phases.set(name, service.phase);
    if (tell && service.phase !== previous) this.emit({ type: 'phase', service: name, phase: service.phase, previous });
    const probe = service.probe;
    if (!probe) {
      this.probes.delete(name);
      return;
    }
    // The time of each check is not a change: its result is.
    const key = JSON.stringify([probe.kind, probe.ok, probe.reason]);
    const before = this.probes.get(name);
    this.probes.set(name, key);
    if (tell && key !== before) this.emit({ type: 'probe', service: name, kind: probe.kind, ok: probe.ok, ...(probe.reason === undefined ? {} : { reason: probe.reason }) });
  }
}
