import type { Action, Blocked } from '../model/plan.js';

/** What one service needs, split by plan phase. Every action of a decision shares one reason. */
export interface ServiceDecision {
  service: string;
  /** Its stop, then its uninstall. */
  stopPhase: Action[];
  /** Its install, then its start. */
  startPhase: Action[];
  blocked?: Blocked;
  /** Stopped and started again (a `~` restart). */
  restart: boolean;
}

