import type { Op } from './plan.js';
import { OperationError } from './provider.js';

/** The facts of a failure beside its message, where known: a caller acts on them without parsing the text. */
export interface FailureFacts {
  /** The exit code of the command or run that failed; null when a signal ended it. */
  exitCode?: number | null;
  signal?: string | null;
  /** A time limit ran out (the provider's own or the machine's). */
  timedOut?: boolean;
  /** The last lines the service or command printed. */
  logTail?: string[];
}

/** Why an operation failed: a message for people and the facts beside it. */
export interface Failure extends FailureFacts {
  message: string;
}

/** The failure an operation's error tells: an OperationError's facts are kept, not flattened into its message. */
export function failureOf(error: unknown): Failure {
  if (!(error instanceof Error)) return { message: String(error) };
  if (!(error instanceof OperationError)) return { message: error.message };
  return { message: error.message, ...factsOf(error) };
}

/** The facts alone, only those known: an outcome carries them beside its `error` text. */
export function factsOf(failure: FailureFacts): FailureFacts | undefined {
  const facts: FailureFacts = {
    ...(failure.exitCode === undefined ? {} : { exitCode: failure.exitCode }),
    ...(failure.signal === undefined || failure.signal === null ? {} : { signal: failure.signal }),
    ...(failure.timedOut ? { timedOut: true } : {}),
    ...(failure.logTail === undefined || failure.logTail.length === 0 ? {} : { logTail: [...failure.logTail] }),
  };
  return Object.keys(facts).length > 0 ? facts : undefined;
}

/** What a unit does to a service: a plan's op, or a restart done in one step by the provider. */
export type UnitOp = Op | 'restart';

export type UnitStatus = 'done' | 'failed' | 'skipped' | 'interrupted';

/** What happened to one service in one phase of a run. */
export interface ServiceOutcome {
  service: string;
  ops: UnitOp[];
  status: UnitStatus;
  durationMs: number;
  /** Why it failed or was skipped, for people (`exited with code 3 right after it started`). */
  error?: string;
  /** The facts of a failure beside `error` (exit code, signal, timeout, last log lines), where known. */
  facts?: FailureFacts;
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
