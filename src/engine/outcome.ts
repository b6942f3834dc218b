/**
 * What a run reports: one outcome per service and phase, and the progress events around them.
 * Apart from execute.ts because execute-graph.ts and settle.ts, which it imports, speak them too.
 */

import type { UnitOp } from './execute-unit.js';

export type UnitStatus = 'done' | 'failed' | 'skipped' | 'interrupted';

/** What happened to one service in one phase of a run. */
export interface ServiceOutcome {
  service: string;
  ops: UnitOp[];
  status: UnitStatus;
  durationMs: number;
  error?: string;
  /**
   * How it went, though it went (`it did not stop within 10s of SIGTERM: killed with SIGKILL`);
   * for an interrupted unit, what the service was left as (`left running (pid 4242), not yet ready`).
   */
  note?: string;
}

export interface ApplyOutcome {
  services: ServiceOutcome[];
  interrupted: boolean;
  failed: number;
  /** Why what was done could not be recorded in the state file (a full disk, a read-only .stack). */
  unrecorded?: string;
}

export type ProgressEvent =
  | { type: 'begin'; service: string; ops: UnitOp[] }
  | { type: 'end'; outcome: ServiceOutcome };
