import type { ProviderName, StopSpec } from './desired.js';
import type { FieldChange } from './plan.js';

/** What a provider says a service is right now. */
export type Phase = 'absent' | 'stopped' | 'starting' | 'running' | 'stopping' | 'crashed' | 'unknown';

export type Health = 'ready' | 'unready' | 'unhealthy' | 'none';

export interface ObservedService {
  name: string;
  phase: Phase;
  pid?: number;
  /** ISO time the current run started. */
  since?: string;
  restarts?: number;
  health?: Health;
  /** Why the phase is what it is (e.g. "pid 42 now belongs to another process"), for people. */
  detail?: string;
  /** Running only because members of its group outlived the run's leader (a process service). */
  leaderExited?: boolean;
  /**
   * The last result of the service's `health` (else `ready`) probe for this run: the one recorded
   * by apply or the controller, or one made by this observation when it was asked to probe.
   */
  probe?: ProbeRecord;
  /** A run that ended by itself (not stopped by stack): how, where known (`code` and `signal` null: it cannot be). */
  exit?: { code: number | null; signal: string | null };
  /** A task's last run, when it ended (phase `stopped`): completed or failed, with its exit. */
  task?: TaskRun;
  /** Set with phase `unknown` when the provider itself is unavailable (docker missing or down): exit 6. */
  unavailable?: boolean;
  /**
   * Declared ports already bound by a process that is not one of this stack's, found for a
   * service that is not running; the planner blocks its start.
   */
  portConflicts?: PortConflict[];
  /**
   * What runs differs from what is declared, field by field, where the provider can read both (a
   * swarm service scaled by hand, or a compose file edited since the deploy): the planner rolls it
   * out again, and the plan shows these changes.
   */
  drift?: FieldChange[];
}

/** A declared port held by another process; pid and command when they could be read. */
export interface PortConflict {
  port: number;
  host?: string;
  pid?: number;
  command?: string;
}

export type Observed = ReadonlyMap<string, ObservedService>;

/** How a service's last run ended, or why its last start failed. */
export interface LastExit {
  code: number | null;
  signal: string | null;
  at: string;
  reason?: string;
  /** Its start failed (not found, never ready, exited at once): `reason` says how. */
  duringStart?: boolean;
}

/** One result of a service's probe, when it was made, and by whom's declaration (`ready` or `health`). */
export interface ProbeRecord {
  kind: 'ready' | 'health';
  ok: boolean;
  /** Why it failed: `connection refused`, `status 503`. */
  reason?: string;
  /** ISO time of the attempt's end. */
  at: string;
}

/** How a task's last run ended, and with which spec: a run of the current spec is not repeated. */
export interface TaskRun {
  /** Its exit code was one of `successExitCodes`. */
  ok: boolean;
  code: number | null;
  signal: string | null;
  /** ISO time it ended. */
  at: string;
  /** The spec hash it ran with. */
  specHash: string;
}

/** What stack last applied for a service, from `.stack/state.json`. */
export interface AppliedService {
  provider: ProviderName;
  /** Hash of everything that affects how the service runs. */
  specHash: string;
  /** Hash of what its install step depends on; a change means reinstall. */
  installHash: string;
  /** The applied spec, flattened to `field → value`, sensitive values replaced by a digest. */
  fields: Record<string, string>;
  /** The digest of each file the service read when last installed or started (plugins): `plugin.files` per file. */
  files?: Record<string, string>;
  pid?: number;
  pgid?: number;
  /** Start time of the pid in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  startTicks?: number;
  startedAt?: string;
  restarts: number;
  lastExit?: LastExit;
  /** A task's last run that ended (kind: task). */
  taskRun?: TaskRun;
  /** The last probe result of the current run (apply's readiness wait, the controller's health checks, `status --probe`). */
  probe?: ProbeRecord;
  /** True once the user's `state: stopped`/disable was carried out; false after a crash. */
  stoppedByUs?: boolean;
  /**
   * The service used up maxRestarts and is left alone until its declaration changes (any field),
   * `stack restart`, or `stack down`.
   */
  gaveUp?: boolean;
  /** Restarts in a row when it gave up (`restarts` counts every restart ever, like pm2's ↺). */
  gaveUpAfter?: number;
  /** Digests of the declaration's parts when it gave up (see give-up.ts): an edit of any of them gives it a new chance. */
  gaveUpDeclared?: Record<string, string>;
  /**
   * Stopped only because this dependency stopped (or the file declared it stopped or disabled):
   * started again once it runs (`dependency db back`). Cleared by the service's next start or stop.
   */
  stoppedWith?: string;
  /**
   * How stack.yaml said to stop the service, and what it depends on, when stack last acted on
   * it: a service removed from the file, or every service when the file no longer loads
   * (`stack down`), is still stopped with its own signal and timeout, dependents first.
   */
  stop?: StopSpec;
  dependsOn?: string[];
}

export type Applied = ReadonlyMap<string, AppliedService>;
