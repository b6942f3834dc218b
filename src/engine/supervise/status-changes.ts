import type { Observed } from '../../model/observed.js';
import type { ControllerEvent } from './events.js';

/**
 * Tells `phase` and `probe` events: compares what the controller knows of every service
 * (knownObserved) with what it knew when last told. Asked to look whenever a machine moves or a
 * record changes; a burst of those within one turn of the event loop is compared once.
 */
export class StatusChanges {
  private phases = new Map<string, string>();
  private probes = new Map<string, string>();
  private scheduled = false;

  constructor(
    private readonly known: () => Observed,
    private readonly emit: (event: ControllerEvent) => void,
  ) {
    this.compare(false);
  }

  /** Something may have changed: compared on the next turn. */
  poke(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.compare(true);
    });
  }

  private compare(tell: boolean): void {
    const phases = new Map<string, string>();
    const probes = new Map<string, string>();
    for (const [name, service] of this.known()) {
      phases.set(name, service.phase);
      const previous = this.phases.get(name) ?? 'absent';
      if (tell && service.phase !== previous) this.emit({ type: 'phase', service: name, phase: service.phase, previous });
      const probe = service.probe;
      if (!probe) continue;
      // The time of each check is not a change: its result is.
      const key = JSON.stringify([probe.kind, probe.ok, probe.reason]);
      probes.set(name, key);
      if (tell && key !== this.probes.get(name)) this.emit({ type: 'probe', service: name, kind: probe.kind, ok: probe.ok, ...(probe.reason === undefined ? {} : { reason: probe.reason }) });
    }
    this.phases = phases;
    this.probes = probes;
  }
}
