import type { DesiredService } from '../../model/desired.js';
import { rotateRunningLogs } from '../rotate-logs.js';
import type { Workspace } from '../workspace.js';
import type { SupervisedPool } from './service-pool.js';

const ROTATE_EVERY_MS = 1_000;

/**
 * Rotates the logs of running services by size while the controller runs (see
 * each provider's rotateLog): one stat per service a second, a copy and a cut when a log
 * is past its `logs.maxSize`. Services still starting are left alone: their ready probe may
 * be reading the log from where this run began.
 */
export class LogRotation {
  private timer?: NodeJS.Timeout;
  private current: Promise<void> | undefined;

  constructor(
    private readonly pool: SupervisedPool,
    private readonly workspace: Pick<Workspace, 'providers' | 'ctx'>,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), ROTATE_EVERY_MS);
    this.timer.unref();
  }

  /** Stops the checks; resolves once a rotation under way has finished (before the lock goes). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.current;
  }

  private tick(): void {
    if (this.current) return;
    this.current = this.rotate().finally(() => {
      this.current = undefined;
    });
  }

  private async rotate(): Promise<void> {
    const running = this.pool.entries().filter(([, state]) => state === 'running').map(([name]) => this.pool.service(name)).filter((service): service is DesiredService => service !== undefined);
    await rotateRunningLogs(this.workspace.providers, this.workspace.ctx, running, this.log);
  }
}
