import { createHash } from 'node:crypto';
import type { SavedPlan } from '../reconcile/saved-plan.js';

/** How many plans the API remembers by hash: a client applies the plan it was just handed. */
const REMEMBERED = 16;

/** `sha256:<hex>` of a saved plan's JSON: `planHash` of `GET /v1/plan`. */
export function planHashOf(saved: SavedPlan): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(saved)).digest('hex')}`;
}

export interface HandedPlan {
  saved: SavedPlan;
  /** The `target`s it was planned for: planning again for its hash uses them. */
  targets: string[] | undefined;
}

/**
 * The last plans `GET /v1/plan` handed out, by hash: `POST /v1/apply` with a `planHash` plans
 * again and compares, and when they differ says what changed since the one handed out.
 */
export class HandedPlans {
  private readonly plans = new Map<string, HandedPlan>();

  remember(plan: HandedPlan): string {
    const hash = planHashOf(plan.saved);
    this.plans.delete(hash);
    this.plans.set(hash, plan);
    for (const oldest of this.plans.keys()) {
      if (this.plans.size <= REMEMBERED) break;
      this.plans.delete(oldest);
    }
    return hash;
  }

  get(hash: string): HandedPlan | undefined {
    return this.plans.get(hash);
  }
}
