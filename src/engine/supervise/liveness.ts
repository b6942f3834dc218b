import type { Workspace } from '../workspace.js';
import type { AppliedService, ProbeRecord } from '../../model/observed.js';
import { recordExit } from '../record-exit.js';
import type { SupervisedPool } from './service-pool.js';

const TICK_MS = 500;
const SLOW_POLL_MS = 5_000;
/** How long one tick's observations (a plugin's `status`, a probe) may take before they are aborted. */
const CHECK_TIMEOUT_MS = 10_000;

/**
 * Between passes: polls services the controller adopted (started by an earlier `apply`, so
 * their exit is not seen at once) and runs `health` probes. A dead adopted service is an
 * EXITED event; `failureThreshold` failed probes in a row is UNHEALTHY. The restart policy in
 * the machine decides what follows. An adopted run of the process provider ends with its
 * leader, as the controller's own runs do: what the leader left in its group is stopped first.
 */
export class LivenessMonitor {
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly failures = new Map<string, number>();
  private readonly nextProbe = new Map<string, number>();
  private readonly nextSlow = new Map<string, number>();
  /** Services whose leftovers are being stopped: a stop may take stop.timeout, other checks go on. */
  private readonly ending = new Set<string>();

  constructor(
    private readonly pool: SupervisedPool,
    private readonly workspace: Workspace,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      // One deadline for the tick's checks, not a timer of its own per check: with 1,000 services
      // that was 2,000 timers a second, each held for its 10 s (~20,000 alive at once).
      const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
      await Promise.all(this.pool.entries().filter(([, state]) => state === 'running').map(([name]) => this.check(name, signal)));
    } finally {
      this.checking = false;
    }
  }

  private async check(name: string, signal: AbortSignal): Promise<void> {
    const service = this.pool.service(name);
    if (!service || this.ending.has(name)) return;
    const provider = await this.workspace.providers.get(service.provider);
    const now = this.pool.env.time.now();
    // Where observing is a read of /proc it is done at every tick; a plugin's `status` script or
    // `docker ps` is not, so those are polled less often.
    const cheap = provider.capabilities.cheapObserve;
    const livenessDue = !this.pool.isChild(name) && (cheap || (this.nextSlow.get(name) ?? 0) <= now);
    const healthDue = service.health !== undefined && (this.nextProbe.get(name) ?? 0) <= now;
    if (!livenessDue && !healthDue) return;
    if (livenessDue && !cheap) this.nextSlow.set(name, now + SLOW_POLL_MS);
    if (healthDue && service.health) this.nextProbe.set(name, now + service.health.intervalMs);

    // The provider's own observe runs the health probe with the service's cwd and environment.
    const applied = this.pool.env.state.get(name);
    const ctx = { ...this.workspace.ctx, signal, probe: healthDue };
    const observed = await provider.observe(name, service, applied, ctx).catch(() => undefined);
    if (!observed || this.pool.stateOf(name) !== 'running') return;
    if (livenessDue && applied && observed.leaderExited) {
      this.log(`${name}: ${observed.detail}; stopping them`);
      this.ending.add(name);
      void this.pool
        .endLeftovers(name, applied)
        .then(async (open) => {
          // A pass or a restart request may have replaced the run meanwhile: that one lives on.
          if (open && this.pool.stateOf(name) === 'running' && !this.pool.isChild(name)) await this.exited(name, applied, observed.detail ?? 'its leader exited');
        })
        .catch((error: unknown) => this.log(`${name}: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.ending.delete(name));
      return;
    }
    if (livenessDue && observed.phase !== 'running' && observed.phase !== 'starting') {
      this.log(`${name}: ${observed.detail ?? `is ${observed.phase}`}`);
      if (applied) await this.exited(name, applied, observed.detail ?? 'gone');
      return;
    }
    if (!healthDue) return;
    if (observed.probe) this.recordProbe(name, applied, observed.probe);
    this.countHealth(name, observed.health);
  }

  /** `status` shows the result with its age: recorded for the run it was made against only. */
  private recordProbe(name: string, run: AppliedService | undefined, probe: ProbeRecord): void {
    this.pool.env.state.record(name, (current) => (current && current.pid === run?.pid && current.startTicks === run?.startTicks ? { ...current, probe } : current));
  }

  /** The run `run` records is over: recorded so, and told to the machine, unless another run replaced it. */
  private async exited(name: string, run: AppliedService, reason: string): Promise<void> {
    const current = this.pool.env.state.get(name);
    if (current?.pid !== run.pid || current?.startTicks !== run.startTicks) return;
    // The reason may quote what a plugin's status printed: the state file keeps no secret.
    const said = this.workspace.ctx.redact(reason);
    const limit = this.pool.takeLimitKill(name, run.pid);
    const end = { stoppedByUs: false, exit: limit === undefined ? { code: null, signal: null, reason: said } : { code: null, signal: 'SIGKILL', reason: limit } };
    // Told to the machine in the same turn as recorded: between the two, status would show a
    // running service without a pid.
    const written = this.pool.env.state.update(name, (record) => record && recordExit(record, end, this.pool.env.time));
    this.pool.endedUnseen(name, limit);
    await written;
  }

  private countHealth(name: string, health: string | undefined): void {
    const threshold = this.pool.service(name)?.health?.failureThreshold ?? 1;
    if (health === 'ready') this.failures.set(name, 0);
    if (health !== 'unhealthy') return;
    const count = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, count);
    if (count >= threshold) {
      this.failures.set(name, 0);
      this.log(`${name}: unhealthy (its health check failed), ${count} failed checks in a row`);
      this.pool.send(name, { type: 'UNHEALTHY', reason: `health check failed ${count} times in a row` });
    }
  }
}
