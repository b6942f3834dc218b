import type { Desired, DesiredService } from '../../model/desired.js';
import type { BuildResult } from '../../model/provider.js';
import type { ApplyOutcome } from '../../model/outcome.js';
import { restartOrder } from '../../reconcile/plan-restart.js';

/** What the development loop did for a service (the `dev` event). */
export type DevNews =
  | { what: 'changed'; service: string; paths: string[] }
  | { what: 'building'; service: string }
  | { what: 'build-failed'; service: string; reason: string; output: string[] }
  | { what: 'restarted'; service: string; with: string[] }
  | { what: 'start-failed'; service: string; reason: string };

/** What the loop asks of the controller that holds it. */
export interface DevHost {
  desired(): Desired;
  /** The service's build, cancelled through `signal` (told as `building` once it begins); undefined when it has none. */
  build(service: DesiredService, signal: AbortSignal): Promise<BuildResult | undefined>;
  /** Restarts `names` in order, each waiting for readiness (one turn of the controller's queue); undefined when `stillWanted` said no once it got its turn. */
  restart(names: string[], reason: string, stillWanted: () => boolean): Promise<ApplyOutcome | undefined>;
  /** Keeps a service whose new start failed from being restarted again until the next change. */
  hold(name: string): void;
  told(news: DevNews): void;
}

/**
 * The development loop (issue 31): a change of a watched service's sources runs its build, and
 * only a build that succeeds restarts it and the services that declared `restartWith:` it. A
 * newer change cancels a build still running and begins again. A failed build keeps the running
 * process; a new start that fails waits for the next change instead of crash-looping. Both
 * show as the service's `waiting` until a change builds and starts.
 */
export class DevLoop {
  private readonly inFlight = new Map<string, AbortController>();
  private readonly waitingFor = new Map<string, { reason: string; held: boolean }>();

  constructor(private readonly host: DevHost) {}

  /** `waiting for a change (last build failed: exited with code 2)`, by service. */
  waiting(): ReadonlyMap<string, string> {
    return new Map([...this.waitingFor].map(([name, entry]) => [name, `waiting for a change (${entry.reason})`]));
  }

  /** Its last start failed: passes must not start it again before a change does. */
  isHeld(name: string): boolean {
    return this.waitingFor.get(name)?.held === true;
  }

  /** Forgets services gone from stack.yaml or no longer watched. */
  update(desired: Desired): void {
    const watched = new Set(desired.services.filter((service) => service.dev !== undefined).map((service) => service.name));
    for (const name of this.waitingFor.keys()) if (!watched.has(name)) this.waitingFor.delete(name);
  }

  stop(): void {
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }

  async changed(name: string, paths: string[]): Promise<void> {
    const service = this.host.desired().services.find((each) => each.name === name);
    if (!service?.dev || !service.enabled || service.state !== 'running') return;
    this.inFlight.get(name)?.abort();
    const mine = new AbortController();
    this.inFlight.set(name, mine);
    const current = (): boolean => this.inFlight.get(name) === mine;
    this.host.told({ what: 'changed', service: name, paths });

    const built = await this.host.build(service, mine.signal);
    if (!current() || built?.cancelled) return;
    if (built && !built.ok) {
      this.inFlight.delete(name);
      const reason = built.reason ?? 'failed';
      this.waitingFor.set(name, { reason: `last build failed: ${reason}`, held: this.isHeld(name) });
      this.host.told({ what: 'build-failed', service: name, reason, output: built.output });
      return;
    }

    const names = this.followersOf(name);
    const outcome = await this.host.restart(names, `changed: ${shortList(paths)}`, current);
    if (!current()) return;
    this.inFlight.delete(name);
    if (!outcome) return;
    for (const each of names) {
      const result = outcome.services.find((entry) => entry.service === each && entry.ops.includes('start'));
      if (result?.status === 'failed' || result?.status === 'skipped') {
        const reason = firstLine(result.error ?? 'it did not start');
        this.waitingFor.set(each, { reason: `last start failed: ${reason}`, held: true });
        this.host.hold(each);
        this.host.told({ what: 'start-failed', service: each, reason });
      } else if (result?.status === 'done') {
        this.waitingFor.delete(each);
      }
    }
    if (!this.waitingFor.has(name)) this.host.told({ what: 'restarted', service: name, with: names.filter((each) => each !== name) });
  }

  /** The service and, in start order, those that restart with it (`restartWith:`, followed through), meant to run. */
  private followersOf(name: string): string[] {
    const desired = this.host.desired();
    const chosen = new Set([name]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const service of desired.services) {
        if (chosen.has(service.name) || !service.enabled || service.state !== 'running') continue;
        if (service.restartWith?.some((target) => chosen.has(target))) {
          chosen.add(service.name);
          grew = true;
        }
      }
    }
    return restartOrder(desired, [...chosen]);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/** `src/a.ts, src/b.ts and 98 more`. */
function shortList(paths: readonly string[]): string {
  return paths.length > 3 ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more` : paths.join(', ');
}
