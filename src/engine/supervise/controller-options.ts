import type { Clock } from '../../model/clock.js';
import type { Desired } from '../../model/desired.js';
import type { StackError } from '../../model/errors.js';
import type { Applied, Observed } from '../../model/observed.js';
import type { ApplyOutcome, ProgressEvent } from '../../model/outcome.js';
import type { PoolEvent } from './service-pool.js';

export interface ControllerOptions {
  file: string;
  command: string;
  intervalMs: number;
  parallel: number;
  verbose?: (line: string) => void;
  /** The controller's own messages for people (reloads, restarts, errors). */
  log: (line: string) => void;
  onProgress?: (event: ProgressEvent) => void;
  onPoolEvent?: (event: PoolEvent) => void;
  /** Called after every pass: services that failed, or an invalid file. */
  onPass?: (pass: PassResult) => void;
  /** Aborts what is in flight (Ctrl+C), the first pass included. */
  signal?: AbortSignal;
  /** The time the controller and its machines read. Default: the system clock. */
  time?: Clock;
}

export interface PassResult {
  reason: string;
  /** The file did not load: nothing was done. */
  invalid?: StackError;
  outcome?: ApplyOutcome;
  converged: boolean;
}

/** What a plan starts from: the file as it is now, the records, every service observed afresh. */
export interface Snapshot {
  desired: Desired;
  applied: Applied;
  observed: Observed;
}

/** A run the API asked for: interrupted by its own signal (its client went) or the controller's. */
export interface RunOptions {
  signal: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  removeVolumes?: boolean;
  /** Told when a start has spawned its run. */
  onSpawned?: (service: string) => void;
}
