import type { Redact } from './redact.js';
import { ExitCode, StackError } from './errors.js';
import type { DesiredService, ProviderName, StopSpec } from './desired.js';
import type { AppliedService, ObservedService } from './observed.js';
import type { LogLine } from './log-line.js';

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
  /** Why it ended, when stack knows more than the code or signal tells: `killed by the OOM killer (memory limit 512 MB)`. */
  reason?: string;
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

/**
 * What a provider is, declared once, so that the engine, the supervisor and the CLI ask instead
 * of branching on its name (docs/architecture.md, "The provider contract").
 */
export interface ProviderCapabilities {
  /**
   * Each run is a process group this stack spawned (a pid, a pgid, a marker in its environment):
   * the supervisor sees its exit, stops what its leader left in the group, and a scan of /proc
   * finds a run whose record was lost.
   */
  grouped: boolean;
  /** Observing is a read of /proc, not a command (`docker ps`, a plugin's `status`): liveness is polled at every tick. */
  cheapObserve: boolean;
  /**
   * `observe` tells a crash from the record alone (a process: its pid is gone, the record says how
   * it ended). A start that failed and left no run is then recorded as a crash (record-exit.ts);
   * other providers observe the service itself.
   */
  readsExitsFromRecord: boolean;
}

/** What `logs` is asked for: one shape for every provider, the tail and the follow alike. */
export interface LogsRequest {
  /** Lines from the end shown first; 0 for none, Infinity for all the service has kept. */
  lines: number;
  /** Only lines read at or after this time (every provider stamps its lines: log-line.ts, docker's times). */
  since?: Date;
  /** Only lines read at or before this time. */
  until?: Date;
  /**
   * Only the lines this accepts (`--grep`, `--stderr`), tested before `lines` counts them: the
   * last 10 lines that match, not the matches among the last 10. Lines without a time never
   * pass `since` or `until`.
   */
  match?: (line: LogLine) => boolean;
  /** Only what this run wrote (a failed start quotes its own output, never an earlier run's). */
  run?: Pick<StartedService, 'startedAt' | 'logOffset'>;
  /** Goes on with new lines, across restarts and rotations, until `signal` aborts. */
  follow: boolean;
  signal: AbortSignal;
  /** Receives lines in order, several at a time when they came together; never a partial line, but the last one at the end of a follow. */
  write: (lines: readonly LogLine[]) => void;
  /**
   * Called once the tail is on its way and, with `follow`, everything written from then on
   * will reach `write`: a caller showing several services starts the next one then.
   */
  caughtUp?: () => void;
  /** How often a follow looks for new lines, where it polls (default 200 ms). */
  pollMs?: number;
  /**
   * A viewer of the latest lines (`stack top`): when more than this many bytes wait to be read,
   * the follow skips to the last this many and says in one line how much it skipped, where the
   * provider can (a log file); `stack logs -f` shows every line and leaves it unset.
   */
  latest?: number;
  /**
   * The only service asked for, on a terminal: a provider with a logs command of its own (a
   * plugin's `logs`) runs it there instead, and `logs` resolves to its exit code.
   */
  attached?: boolean;
}

/** What `logChunks` reads: the whole log, narrowed as `logs` narrows it. */
export type LogChunksRequest = Pick<LogsRequest, 'since' | 'until' | 'match' | 'signal'>;

/** The files and folders a service reads besides stack.yaml, whose change means "reload and reconcile". */
export interface WatchedPaths {
  files: string[];
  /** Whole folders (a plugin's). */
  trees: string[];
}

/** One line of `stack check` a provider contributes (docker answers, the spawner in use). */
export interface ProviderCheck {
  check: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

/** What `stack signal` did to one service. */
export type SignalOutcome =
  /** `to` names what received it: "process group 4242", "its containers". */
  | { kind: 'sent'; to: string }
  /** Nothing was signalled; `reason` says why ("pid 4242 now belongs to another process"). */
  | { kind: 'not-running'; reason: string };

/** How a build ended: `reason` in words when it failed (`exited with code 2`), and its last lines of output, redacted. */
export interface BuildResult {
  ok: boolean;
  reason?: string;
  output: string[];
  /** A newer change cancelled it. */
  cancelled?: true;
}

/** What `stack exec` runs in a service, and how. */
export interface ExecRequest {
  /** argv, run as given: no shell unless it names one (`sh -c '…'`). */
  command: readonly string[];
  /** stack's stdin is a terminal: compose allocates one in the container (else `exec -T`). */
  tty: boolean;
  /** The compose service to run it in, where the project has several. */
  composeService?: string;
}

/** What a size rotation of a running service's log did. */
export type LogRotation = 'rotated' | 'not-needed' | 'unsupported';

/** What a run uses now: `cpu` in percent of one core, `memory` in bytes, `command` as people read it (redacted); null when unknown. */
export interface RunUsage {
  cpu: number | null;
  memory: number | null;
  command: string | null;
}

/** What `Provider.update` found: what runs older than what is at hand, and what it could not fetch. */
export interface UpdateFound {
  /** `what` (an image name), the version running (`from`) and the one at hand (`to`). */
  newer: { what: string; from: string; to: string }[];
  /** A fetch that failed (a local-only image has no registry to pull from): said, not fatal. */
  warnings: string[];
  /** What the answer stands on, said once however many services give it (`--dry-run` pulls no image). */
  notes?: string[];
}

export interface Provider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
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
   * Absent: the provider reads no such files.
   */
  digestFiles?(service: DesiredService, ctx: OperationContext): Promise<FilesDigest | undefined>;
  install?(service: DesiredService, ctx: OperationContext): Promise<void>;
  /**
   * Its start does all its install does (compose: `up -d` creates what `up --no-start` would), so
   * a service installed and then started in one run gets the start alone: one command, not two.
   * The install still runs on its own where nothing starts after it (`state: stopped`).
   */
  readonly startInstalls?: boolean;
  /**
   * Services whose starts are best carried out together (compose: the stack services of one
   * project, started by one `up -d` with all their compose services): the engine lets every
   * ready start of one group begin at once, counting the group as one of `--parallel`'s services
   * (not with `--parallel 1`, strict manifest order). Undefined: the service starts on its own.
   */
  startGroup?(service: DesiredService): string | undefined;
  /**
   * Starts the service; resolves once it runs (not yet ready). A start of what already runs is
   * no error: it leaves it running (compose: the same containers; process: a second run, which is
   * why the engine stops the old one first). A start that fails rejects with an OperationError
   * carrying the exit code and the last lines of output.
   */
  start(service: DesiredService, ctx: OperationContext): Promise<StartedService>;
  /** Resolves when the service's `ready` probe passes; rejects with an OperationError otherwise. */
  waitReady?(service: DesiredService, started: StartedService, ctx: OperationContext): Promise<void>;
  /** Whether `waitReady` has anything to wait for after a start of `service`; absent: always. */
  awaitsReady?(service: DesiredService): boolean;
  /**
   * Stops what `applied` records, with `stop` as declared (or the defaults when it left the file).
   * Stopping what is not running is no error: it resolves as a stop that found nothing to do.
   */
  stop(name: string, applied: AppliedService, stop: StopSpec, ctx: OperationContext): Promise<ExitInfo | undefined>;
  uninstall?(name: string, applied: AppliedService, ctx: OperationContext): Promise<void>;
  /**
   * A run `applied` records ended without a stack process seeing it (observed gone), as `down`
   * records it: what it left behind on the machine is removed (a process service's cgroups of its
   * `limits:`). Called under the lock, with nothing of the service being started.
   */
  ended?(name: string, applied: AppliedService, ctx: Omit<OperationContext, 'signal'>): Promise<void>;
  /**
   * `stack signal`: sends `signal` once to the run `applied` records (a process group, containers)
   * and waits for nothing. Records nothing: the service stays desired running, and what the
   * signal does to it is observed as anything else it does. A run that is no longer the one
   * recorded is never signalled. Absent: the provider has no way to signal its services.
   */
  signal?(name: string, applied: AppliedService, signal: NodeJS.Signals, ctx: OperationContext): Promise<SignalOutcome>;
  /**
   * `stack exec`: `request.command` on this terminal (stdin, stdout and stderr inherited) in the
   * service's environment and working folder (a process service: as its start would run it,
   * without the marker of a run; compose: in its running container); resolves to its exit code,
   * 128 + the signal's number when one ended it. Records nothing. Absent: the provider has no
   * environment of its own to run a command in.
   */
  exec?(service: DesiredService, request: ExecRequest, ctx: Omit<OperationContext, 'signal'>): Promise<number>;
  /**
   * What a running service uses, for a provider whose runs are not process groups stack reads in
   * /proc (compose: its containers, from the engine). Slow (the engine samples for a second or
   * so), so asked only when wanted. `undefined`: nothing runs, or the engine could not say.
   */
  usage?(name: string, desired: DesiredService | undefined, applied: AppliedService | undefined, ctx: OperationContext): Promise<RunUsage | undefined>;
  /**
   * `stack update`: with `fetch`, fetches newer versions of what the service runs (compose: pulls
   * its images, through the compose CLI); then says what runs older than what is now at hand (a
   * container whose image is not the one its tag names now). Records nothing and restarts
   * nothing: the plan `stack update` shows does. Absent: nothing of it can be newer.
   */
  update?(service: DesiredService, options: { fetch: boolean }, ctx: OperationContext): Promise<UpdateFound>;
  /**
   * Restarts in one step where the provider has its own way (a plugin's `restart` command);
   * without it a restart is a stop then a start.
   */
  restart?(service: DesiredService, applied: AppliedService, ctx: OperationContext): Promise<StartedService>;
  /**
   * The service's output (`stack logs`, `stack up`, a failed start's last lines), every line
   * through `ctx.redact` (a service may print its own secrets). `desired` is
   * absent when the service left stack.yaml. Resolves when the tail is written or the follow
   * ended; to an exit code only when it ran an attached command (see `LogsRequest.attached`).
   */
  logs(name: string, desired: DesiredService | undefined, applied: AppliedService | undefined, request: LogsRequest, ctx: Omit<OperationContext, 'signal'>): Promise<number | undefined>;
  /**
   * Every line of the service's log that `logs` with `lines: Infinity` would show (no follow),
   * as framed records (log-line.ts) in large pieces that each end at a line's end, oldest
   * first, redacted and narrowed as `logs` does: what `stack logs a b c -n all` merges at the
   * byte level, never making a string of every line. Where stack keeps the log in a file.
   */
  logChunks?(name: string, request: LogChunksRequest, ctx: Omit<OperationContext, 'signal'>): AsyncIterable<Buffer>;
  /**
   * `stack run`: a one-off command in the service's environment, on this terminal; resolves to
   * its exit code. A provider that cannot run one rejects with a StackError saying so
   * (`cannotRun`).
   */
  run(service: DesiredService, command: readonly string[], ctx: Omit<OperationContext, 'signal'>): Promise<number>;
  /** What the supervisor watches for `service` besides stack.yaml and the `.env` beside it. */
  watchedPaths(service: DesiredService): WatchedPaths;
  /**
   * A short phrase naming the run `record` holds, for what an interrupted apply left behind
   * (`pid 4242` → "left running (pid 4242)"); undefined when a probe alone can tell.
   */
  describeRun(record: AppliedService | undefined): string | undefined;
  /**
   * Adds a line of stack's own to the service's log (`── web exited with code 1 ──`), where stack
   * keeps the log, stamped `at`; a provider whose logs live elsewhere (docker) has none.
   */
  mark?(name: string, text: string, ctx: Omit<OperationContext, 'signal'>, at?: Date): Promise<void>;
  /**
   * `watch:`'s build (issue 31), run to its end before the restart a change asks for: a process
   * service's `build:` in its folder with its environment, a compose service's image (`docker
   * compose build`). Undefined (or absent): nothing to build. Cancelled through `ctx.signal`
   * (its process group killed) when a newer change comes in.
   */
  build?(service: DesiredService, ctx: OperationContext): Promise<BuildResult> | undefined;
  /** Cuts a running service's log back past its `logs.maxSize` (where stack keeps the log). */
  rotateLog?(service: DesiredService, ctx: Omit<OperationContext, 'signal'>): Promise<LogRotation>;
  /**
   * What `stack check` should say about this machine for `services` (the enabled ones of this
   * provider): their programs found, their folders valid, docker answering, the spawner. `env` and
   * `cwd` are the caller's, as a start would see them.
   */
  checks?(services: readonly DesiredService[], ctx: { verbose?: (line: string) => void; env: NodeJS.ProcessEnv; cwd: string }): Promise<ProviderCheck[]>;
}

/** `stack run` on a service whose provider has no way to run a command. */
export function cannotRun(service: Pick<DesiredService, 'name' | 'provider'> | undefined, name = service?.name ?? ''): StackError {
  return new StackError(ExitCode.actionFailed, `${name} is a ${service?.provider ?? 'unknown'} service; stack run runs the scripts of plugin services`);
}

/** A run as a record that says no more than the start did: enough to stop it. */
export function appliedOfStart(provider: ProviderName, started: StartedService): AppliedService {
  return { ...recordOfStart(started), provider, specHash: '', installHash: '', fields: {}, restarts: 0 };
}

/** The fields of a start that go into the state file's AppliedService. */
export function recordOfStart(started: StartedService): Pick<AppliedService, 'pid' | 'pgid' | 'startTicks' | 'startedAt'> {
  return { pid: started.pid, pgid: started.pgid, startTicks: started.startTicks, startedAt: started.startedAt };
}
