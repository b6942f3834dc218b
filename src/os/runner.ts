// The one module that starts processes or signals them, so `--verbose` prints each exactly once.
import type { execa as Execa } from 'execa';
import { constants } from 'node:os';
import { quote } from 'shell-quote';
import { nativeSpawner, spawnerDescription, type ServiceOutput, type SpawnIdentity } from './native-spawn.js';
import type { Redact } from '../model/redact.js';
import { lineSplitter, OutputTail } from './output-tail.js';
import type { ExitInfo } from '../model/provider.js';

// execa (with its signal tables and stream plumbing) is loaded at the first command run, so commands
// that only read state (`stack status`) never initialise it.
let execaModule: Promise<{ execa: typeof Execa }> | undefined;
async function loadExeca(): Promise<typeof Execa> {
  execaModule ??= import('execa');
  return (await execaModule).execa;
}

/**
 * Loads what runCommand needs ahead of its first use, where a command's latency is the figure
 * (the development loop's first build after a save): execa's first import takes ~20 ms.
 */
export function prepareCommands(): void {
  loadExeca().catch(() => undefined);
}

/** How an argv is shown to people: shell-quoted, so it can be pasted into a shell. */
export function formatCommand(argv: readonly string[]): string {
  return quote([...argv]);
}

/** Why a spawn failed, with the facts (`code` is the errno name: ENOENT, EACCES, …). */
export class SpawnError extends Error {
  readonly code: string | undefined;
  readonly argv: readonly string[];
  constructor(argv: readonly string[], code: string | undefined, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'SpawnError';
    this.code = code;
    this.argv = argv;
  }
}

export type { ServiceOutput } from './native-spawn.js';

/** Where a detached child's stdout and stderr go: one file for both, or each its own (a log relay's pipes). */
export type DetachedOutput = { logFd: number; output?: never } | { output: ServiceOutput; logFd?: never };

export type SpawnDetachedOptions = DetachedOutput & {
  cwd: string;
  /** Added to the caller's environment; these values win. */
  env: Record<string, string>;
  /**
   * The account it runs as (`user:`); absent: stack's own. The addon sets its supplementary
   * groups too; node:child_process cannot (libuv clears them with setgroups(0)), so without
   * the addon the process has its group alone.
   */
  identity?: SpawnIdentity | undefined;
  verbose?: ((line: string) => void) | undefined;
};

/** stdout and stderr of a detached child, as descriptors. */
function outputOf(options: DetachedOutput): ServiceOutput {
  return options.output ?? { stdout: options.logFd, stderr: options.logFd };
}

export interface DetachedProcess {
  pid: number;
  /** Settles when the process ends, while this process lives; never rejects. */
  exited: Promise<ExitInfo>;
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause === undefined ? undefined : errnoOf(cause);
}

/**
 * Starts `argv` in its own process group and session (setsid), stdout and stderr appended to
 * `logFd` (or each to its descriptor of `output`), stdin from /dev/null. The child never keeps stack running: a one-shot command exits
 * while the service runs on. Rejects with a SpawnError, whatever the errno, when the program
 * cannot be started.
 *
 * Through posix_spawn when the native addon is built (native-spawn.ts), else through
 * node:child_process. Not execa: a service's output goes to a file descriptor and stack never
 * waits for its result, so none of execa's stream and promise plumbing is used, yet it doubled
 * the cost of a spawn (measured: 50 detached spawns, 195 ms bare vs 363 ms through execa).
 * Commands whose output or exit stack awaits go through execa (below).
 */
export async function spawnDetached(argv: readonly string[], options: SpawnDetachedOptions): Promise<DetachedProcess> {
  const [file] = argv;
  if (!file) throw new SpawnError(argv, undefined, 'empty command');
  const native = nativeSpawner();
  if (options.verbose) {
    // Once per run, as a shell comment: which way services start (the addon is optional).
    if (!toldHowSpawned.has(options.verbose)) {
      toldHowSpawned.add(options.verbose);
      options.verbose(`# services start through ${spawnerDescription()}`);
    }
    const who = options.identity;
    options.verbose(`${formatCommand(argv)}${who ? `  # as uid ${who.uid}, gid ${who.gid}` : ''}`);
  }
  const output = outputOf(options);
  const split = output.stdout !== output.stderr;
  if (!native || (options.identity && !native.spawnsAs) || (split && !native.splitsOutput)) return spawnThroughNode(argv, options);
  const spawned = native.spawn(argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, output, identity: options.identity });
  if ('errno' in spawned) throw new SpawnError(argv, spawned.errno, spawned.message);
  return spawned;
}

const toldHowSpawned = new WeakSet<(line: string) => void>();

/** spawnDetached through node:child_process (fork, then exec). */
export async function spawnThroughNode(argv: readonly string[], options: SpawnDetachedOptions): Promise<DetachedProcess> {
  const [file = '', ...args] = argv;
  // Loaded here: commands that only read (`stack status`) never need it.
  const { spawn } = await import('./child-process.js');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', outputOf(options).stdout, outputOf(options).stderr],
      ...(options.identity ? { uid: options.identity.uid, gid: options.identity.gid } : {}),
    });
  } catch (error) {
    // Node throws at once for errnos it does not report as an event (ENOTDIR from a cwd that is a file).
    throw new SpawnError(argv, errnoOf(error), error instanceof Error ? error.message : String(error), error);
  }
  // Node sets pid synchronously when the spawn syscall succeeded, and reports a failure as an
  // 'error' event on the next tick.
  if (child.pid === undefined) {
    const error = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new SpawnError(argv, errnoOf(error), error.message, error);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // Signalling a process that is gone already is not this promise's business.
    child.on('error', () => undefined);
  });
  child.unref();
  return { pid: child.pid, exited };
}

export interface RunCommandOptions {
  cwd?: string | undefined;
  env?: Record<string, string> | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  verbose?: ((line: string) => void) | undefined;
  /** stdout and stderr come back with these secrets replaced, also a piece of one where the kept tail cut them. */
  redact?: Redact | undefined;
}

/**
 * How a command run to its end went: the one result of runCommand, streamCommand and runShell.
 * (A service spawned detached is a handle, DetachedProcess; runAttached answers with an exit
 * status, as a shell does.)
 */
export interface CommandResult {
  /** Null when the command was killed by a signal or could not start. */
  exitCode: number | null;
  /** The signal that ended it; absent when none did. */
  signal?: string;
  /** Killed because its time limit ran out. */
  timedOut: boolean;
  /** Killed because the caller's abort signal fired; absent when it was not. */
  aborted?: true;
  /** The last 64 KiB of each stream, with secrets replaced; empty where the output went elsewhere (a file, a callback). */
  stdout: string;
  stderr: string;
  /** Set when the program could not be started (e.g. ENOENT). */
  spawnError?: string;
}

interface Guarded {
  timedOut: boolean;
  aborted: boolean;
}

/** How a command that ran ended; `output` where it was read (runCommand), else empty. */
function ended(result: { exitCode?: number; signal?: string }, guard: Guarded, output = { stdout: '', stderr: '' }): CommandResult {
  return {
    exitCode: result.exitCode ?? null,
    ...(result.signal ? { signal: result.signal } : {}),
    timedOut: guard.timedOut,
    ...(guard.aborted ? { aborted: true as const } : {}),
    ...output,
  };
}

/** A command that never ran: an empty argv, or a program that could not be started. */
function notStarted(spawnError: string | undefined, guard: Guarded = { timedOut: false, aborted: false }): CommandResult {
  const result = ended({}, guard);
  return spawnError === undefined ? result : { ...result, spawnError };
}

/** execa options shared by every command run in its own process group. */
function groupOptions(options: { cwd?: string | undefined; env?: Record<string, string> | undefined }) {
  return { cwd: options.cwd, env: options.env, extendEnv: true, detached: true, cleanup: false, reject: false, stdin: 'ignore' } as const;
}

/**
 * Kills a command's whole process group on timeout or abort (a command's children must not
 * outlive it). `dispose` clears the timer and the abort listener.
 */
function guardGroup(pid: number | undefined, options: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined }) {
  const state = { timedOut: false, aborted: false };
  const killGroup = (): void => {
    if (pid === undefined) return;
    try {
      signalGroup(pid, 'SIGKILL');
    } catch {
      // EPERM cannot happen for our own group; nothing useful to do from a timer anyway.
    }
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          state.timedOut = true;
          killGroup();
        }, options.timeoutMs);
  const onAbort = (): void => {
    state.aborted = true;
    killGroup();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  return {
    state,
    killGroup,
    dispose: () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Runs a short command to completion (probes, plugin hooks). It runs in its own process group,
 * which is SIGKILLed on timeout or abort and once the command exits, so nothing it forked
 * lingers or holds its output open. Never rejects for a failing command.
 */
export async function runCommand(argv: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return notStarted('empty command');
  options.verbose?.(formatCommand(argv));
  const execa = await loadExeca();
  // Not execa's buffer: it keeps the front of the output and fails the command past maxBuffer;
  // only the last 64 KiB of each stream is kept (a probe's verdict is in its last lines).
  const child = execa(file, args, { ...groupOptions(options), buffer: false });
  const pid = child.pid;
  const guard = guardGroup(pid, options);
  child.once('exit', guard.killGroup);
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  try {
    const result = await child;
    const spawned = pid !== undefined;
    // Only the last 64 KiB is kept: where the front was dropped, the end of a secret may be all
    // that is left of it.
    const shown = (tail: OutputTail): string => {
      const text = withoutFinalNewline(tail.text());
      return options.redact ? options.redact(text, { start: tail.cut }) : text;
    };
    if (!spawned) return notStarted(errnoOf(result.cause) ?? result.shortMessage, guard.state);
    return ended(result, guard.state, { stdout: shown(stdout), stderr: shown(stderr) });
  } finally {
    guard.dispose();
  }
}

function withoutFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * Sends `signal` to every process in group `pgid`. Returns false when the group no longer
 * exists (ESRCH); other errors (EPERM) are thrown.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals, verbose?: (line: string) => void): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new RangeError(`refusing to signal process group ${pgid}`);
  verbose?.(`kill -${signal.replace(/^SIG/, '')} -- -${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export interface StreamCommandOptions extends RunCommandOptions {
  /** Called with every complete line of stdout and stderr, in order of arrival per stream. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Runs a long command (`docker compose logs -f`) and hands its output over line by line until
 * it exits or `signal` aborts (then its process group is SIGKILLed). Never rejects for a
 * failing command.
 */
export async function streamCommand(argv: readonly string[], options: StreamCommandOptions): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return notStarted('empty command');
  options.verbose?.(formatCommand(argv));
  const execa = await loadExeca();
  const child = execa(file, args, { ...groupOptions(options), buffer: false });
  const pid = child.pid;
  if (pid === undefined) {
    const result = await child;
    return notStarted(errnoOf(result.cause) ?? result.shortMessage);
  }
  const guard = guardGroup(pid, { signal: options.signal });
  const pump = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): Promise<void> => {
    if (!stream) return Promise.resolve();
    // A line that never ends is handed over cut, not held whole.
    const lines = lineSplitter((line) => options.onLine(line, name));
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => lines.push(chunk));
    return new Promise((resolve) =>
      stream.once('close', () => {
        lines.end();
        resolve();
      }),
    );
  };
  try {
    const [result] = await Promise.all([child, pump(child.stdout, 'stdout'), pump(child.stderr, 'stderr')]);
    return ended(result, guard.state);
  } finally {
    guard.dispose();
  }
}

export interface RunShellOptions {
  cwd: string;
  /** Added to the caller's environment; these values win. */
  env: Record<string, string>;
  /** An open file descriptor that stdout and stderr are appended to. */
  outputFd: number;
  /** Instead of `outputFd`: stdout and stderr apart (a log relay's pipes, os/log-relay.ts). */
  output?: ServiceOutput | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  verbose?: ((line: string) => void) | undefined;
}

/**
 * Runs a person's shell command line (a plugin lifecycle command) with `sh -c`, in its own
 * process group, output appended to `outputFd`. A timeout or abort SIGKILLs the whole group; a
 * normal exit leaves the group alone, since a `start` may leave its daemon running in it (and
 * writing to the same file, not to a pipe that would break). Never rejects.
 */
export async function runShell(script: string, options: RunShellOptions): Promise<CommandResult> {
  const argv = ['sh', '-c', script];
  options.verbose?.(formatCommand(argv));
  // See spawnDetached: execa passes any fd through.
  const stdout = (options.output?.stdout ?? options.outputFd) as unknown as 1;
  const stderr = (options.output?.stderr ?? options.outputFd) as unknown as 2;
  const execa = await loadExeca();
  const child = execa('sh', ['-c', script], { ...groupOptions(options), buffer: false, stdout, stderr });
  const pid = child.pid;
  const guard = guardGroup(pid, options);
  try {
    const result = await child;
    if (pid === undefined) return notStarted(errnoOf(result.cause) ?? result.shortMessage, guard.state);
    return ended(result, guard.state);
  } finally {
    guard.dispose();
  }
}

const osSignals = constants.signals;

export interface RunAttachedOptions {
  cwd: string;
  env: Record<string, string>;
  /** False: `env` is the whole environment (the caller's is not added); default true. */
  extendEnv?: boolean;
  /** The account it runs as; node:child_process sets no supplementary groups. */
  identity?: SpawnIdentity | undefined;
  verbose?: ((line: string) => void) | undefined;
}

// Sent to stack alone (`kill`, a supervisor), these are the child's to act on: passed on.
const FORWARDED = ['SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `argv` on this terminal (stdin, stdout and stderr inherited) and returns its exit code,
 * 128 + the signal number when a signal ended it. Ctrl+C reaches the child through the
 * terminal; stack waits for it rather than dying first. SIGTERM and SIGHUP sent to stack are
 * passed on to the child, and stack goes on waiting. Rejects with a SpawnError when it cannot start.
 */
export async function runAttached(argv: readonly string[], options: RunAttachedOptions): Promise<number> {
  const [file, ...args] = argv;
  if (!file) throw new SpawnError(argv, undefined, 'empty command');
  options.verbose?.(formatCommand(argv));
  let child: { kill(signal: NodeJS.Signals): boolean } | undefined;
  // One that came before the child existed reaches it once it does.
  let early: NodeJS.Signals | undefined;
  const ignore = (): void => undefined;
  const forward = (signal: NodeJS.Signals): void => {
    if (child) child.kill(signal);
    else early = signal;
  };
  process.on('SIGINT', ignore);
  for (const signal of FORWARDED) process.on(signal, forward);
  try {
    const execa = await loadExeca();
    const running = execa(file, args, {
      cwd: options.cwd,
      env: options.env,
      extendEnv: options.extendEnv ?? true,
      stdio: 'inherit',
      reject: false,
      forceKillAfterDelay: false,
      ...(options.identity ? { uid: options.identity.uid, gid: options.identity.gid } : {}),
    });
    child = running;
    if (early) running.kill(early);
    const result = await running;
    if (result.exitCode !== undefined) return result.exitCode;
    if (result.signal) return 128 + (osSignals[result.signal as keyof typeof osSignals] ?? 0);
    const code = errnoOf(result.cause);
    throw new SpawnError(argv, code, result.shortMessage ?? `cannot start ${file}`, result.cause);
  } finally {
    process.off('SIGINT', ignore);
    for (const signal of FORWARDED) process.off(signal, forward);
  }
}
