import type { Redact } from './redact.js';
import type { DesiredService, ProviderName, StopSpec } from './desired.js';
import type { AppliedService, ObservedService } from './observed.js';

/** What every provider operation is given. */
export interface OperationContext {
  signal: AbortSignal;
  /** Folder holding stack.yaml. */
  root: string;
  /** `.stack/` beside stack.yaml. */
  stateDir: string;
  /**
   * Run the service's probe now (`status --probe`, the controller's due health checks) and return
   * its result as `probe`; otherwise observe reports the result last recorded.
   */
  probe?: boolean;
  /** Print every external command exactly as run (`--verbose`). */
  verbose?: (line: string) => void;
  /**
   * The stack's secret values replaced (sensitive.ts): every text a service, plugin or probe
   * printed passes it before it reaches output, an error or the state file.
   */
  redact: Redact;
  /** `apply --remove-volumes`: an uninstall also deletes the service's data volumes (compose `down --volumes`). */
  removeVolumes?: boolean;
  /** What a person should know about how an operation went, though it succeeded (a stop that needed SIGKILL). */
  note?: (text: string) => void;
}

/** How a run of a service ended. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** When this process saw the exit (Date.now()), where known: a start's settle check compares it to its deadline. */
  seenAt?: number;
}

/** What a start leaves behind; recorded in the state file at once. */
/** The files a service reads, digested: one digest of them all, and (where known) one per file. */
export interface FilesDigest {
  digest: string;
  /** Relative path → digest of that file, so a plan can name what was added, changed or removed. */
  files?: Record<string, string>;
}

export interface StartedService {
  pid?: number;
  pgid?: number;
  startTicks?: number;
  startedAt: string;
  /** Settles when the run ends (only while this stack process is its parent). */
  exited?: Promise<ExitInfo>;
  /** Size of the service's log file when this run began: `log` probes read from here. */
  logOffset?: number;
}

/** An expected failure is a value, not an exception. */
export type ProbeResult = { ok: true } | { ok: false; reason: string };

/** Thrown (as the cause of a failed operation) with facts a person can act on. */
export class OperationError extends Error {
  readonly service: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly timedOut?: boolean;
  readonly logTail?: string[];
  constructor(service: string, message: string, facts: { exitCode?: number | null; signal?: string | null; timedOut?: boolean; logTail?: string[]; cause?: unknown } = {}) {
    super(message, { cause: facts.cause });
    this.name = 'OperationError';
    this.service = service;
    this.exitCode = facts.exitCode;
    this.signal = facts.signal;
    this.timedOut = facts.timedOut;
    this.logTail = facts.logTail;
  }
}

export interface Provider {
  readonly name: ProviderName;
  /**
   * `observe` tells a crash from the record alone (a process: its pid is gone, the record says how
   * it ended). A start that failed and left no run is then recorded as a crash (record-exit.ts);
   * other providers observe the service itself.
   */
  readonly readsExitsFromRecord?: boolean;
  /** What the service is now. `desired` is absent when the service left stack.yaml. */
  observe(
    name: string,
    desired: DesiredService | undefined,
    applied: AppliedService | undefined,
    ctx: OperationContext,
  ): Promise<ObservedService>;
  /**
   * A digest of the files the service reads besides stack.yaml (compose file, plugin folder),
   * so editing them plans a restart; set as `DesiredService.filesDigest` (and `files`) before
   * planning, and taken again after an install or start (what those write is the service's own).
   */
  digestFiles?(service: DesiredService, ctx: OperationContext): Promise<FilesDigest | undefined>;
  install?(service: DesiredService, ctx: OperationContext): Promise<void>;
  /** Starts the service; resolves once it runs (not yet ready). */
  start(service: DesiredService, ctx: OperationContext): Promise<StartedService>;
  /** Resolves when the service's `ready` probe passes; rejects with an OperationError otherwise. */
  waitReady?(service: DesiredService, started: StartedService, ctx: OperationContext): Promise<void>;
  /** Whether `waitReady` has anything to wait for after a start of `service`; absent: always. */
  awaitsReady?(service: DesiredService): boolean;
  /** Stops what `applied` records, with `stop` as declared (or the defaults when it left the file). */
  stop(name: string, applied: AppliedService, stop: StopSpec, ctx: OperationContext): Promise<ExitInfo | undefined>;
  uninstall?(name: string, applied: AppliedService, ctx: OperationContext): Promise<void>;
  /**
   * Restarts in one step where the provider has its own way (a plugin's `restart` command);
   * without it a restart is a stop then a start.
   */
  restart?(service: DesiredService, applied: AppliedService, ctx: OperationContext): Promise<StartedService>;
}
