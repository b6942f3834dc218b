import type { Plan } from '../../model/plan.js';
import { writeFileAtomic } from '../../os/write-atomic.js';
import type { SupervisedPool } from './service-pool.js';

/** A service the controller does not retry by itself, and why (`gave up after 5 restarts`). */
export interface NotRetried {
  service: string;
  why: string;
  /** It gave up: any edit of it in stack.yaml gives it a new chance, as `stack restart` does. */
  gaveUp: boolean;
}

/** `.stack/controller.json`, rewritten after every pass; `stack up --detach` reads the first. */
export interface PassRecord {
  pid: number;
  command: string;
  at: string;
  reason: string;
  converged: boolean;
  failed: { service: string; error?: string }[];
  notRetried: NotRetried[];
}

/** Whole or not at all: `stack up --detach` polls this file while it is written. */
export async function writePassRecord(file: string, record: PassRecord): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(record)}\n`);
}

/**
 * What the controller will not try again by itself, and why, so `stack up --detach` does not
 * say it "keeps trying": services that gave up (now, or in an earlier run: the plan blocks
 * them) and failures its restart policy leaves alone (`policy: no`). Everything else failed is
 * retried: by its machine, or by the next pass.
 */
export function notRetried(pool: Pick<SupervisedPool, 'leftAloneWhy' | 'gaveUp'>, failed: readonly { service: string }[], blocked: Plan['blocked']): NotRetried[] {
  const left: NotRetried[] = blocked.filter((entry) => entry.kind === 'gave-up').map((entry) => ({ service: entry.service, why: entry.reason.replace(/; run stack restart .*$/, ''), gaveUp: true }));
  for (const { service } of failed) {
    const why = pool.leftAloneWhy(service);
    if (why !== undefined && !left.some((entry) => entry.service === service)) left.push({ service, why, gaveUp: pool.gaveUp(service) });
  }
  return left;
}
