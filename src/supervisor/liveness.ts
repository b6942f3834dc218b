import type { Workspace } from '../api.js';
import { runProbeOnce } from '../providers/probes.js';
import type { SupervisedPool } from './service-pool.js';

const TICK_MS = 500;

/**
 * Between passes: polls services the controller adopted (started by an earlier `apply`, so
 * their exit is not seen at once) and runs `health` probes. A dead adopted service is an
 * EXITED event; `failureThreshold` failed probes in a row is UNHEALTHY. The restart policy in
 * the machine decides what follows.
 */
export class LivenessMonitor {
  private timer?: NodeJS.Timeout;
  private checking = false;
  private readonly failures = new Map<string, number>();
  private readonly nextProbe = new Map<string, number>();

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
      await Promise.all(this.pool.entries().filter(([, state]) => state === 'running').map(([name]) => this.check(name)));
    } finally {
      this.checking = false;
    }
  }

  private async check(name: string): Promise<void> {
    const service = this.pool.service(name);
    if (!service) return;
    if (!this.pool.isChild(name)) {
      const provider = await this.workspace.providers.get(service.provider);
      const applied = this.pool.env.state.get(name);
      const observed = await provider.observe(name, service, applied, { ...this.workspace.ctx, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (observed && observed.phase !== 'running' && observed.phase !== 'starting' && this.pool.stateOf(name) === 'running') {
        this.log(`${name}: ${observed.detail ?? `is ${observed.phase}`}`);
        await this.pool.env.state.update(name, (current) => current && { ...current, pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: false, lastExit: { code: null, signal: null, at: new Date().toISOString(), reason: observed.detail ?? 'gone' } });
        this.pool.send(name, { type: 'EXITED', code: null, signal: null });
        return;
      }
    }
    await this.probeHealth(name);
  }

  private async probeHealth(name: string): Promise<void> {
    const health = this.pool.service(name)?.health;
    if (!health) return;
    const now = Date.now();
    if ((this.nextProbe.get(name) ?? 0) > now) return;
    this.nextProbe.set(name, now + health.intervalMs);
    const result = await runProbeOnce(health.check, { timeoutMs: health.timeoutMs, cwd: this.workspace.desired.root });
    if (result.ok) {
      this.failures.set(name, 0);
      return;
    }
    const count = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, count);
    if (count >= health.failureThreshold && this.pool.stateOf(name) === 'running') {
      this.failures.set(name, 0);
      this.log(`${name}: unhealthy (${result.reason}), ${count} failed checks in a row`);
      this.pool.send(name, { type: 'UNHEALTHY', reason: result.reason });
    }
  }
}
