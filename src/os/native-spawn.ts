// Services started by posix_spawn (native/spawn.c) instead of node:child_process, when the addon
// was built at install (scripts/build-native.mjs). The child is set up the same way; what
// changes is the cost: child_process forks, copying the page tables of stack's whole address
// space for every service, and waits until the copy has exec'd. posix_spawn copies nothing.
// STACK_NATIVE_SPAWN=0 turns it off. The same addon starts the log relay (native/log-relay.c)
// on two fresh pipes: log-relay.ts.
import { closeSync, existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';
import type { ExitInfo } from '../model/provider.js';

/** One descriptor for stdout and stderr, or [stdout, stderr] (an addon built before relay() takes only the first form). */
type AddonOutput = number | [number, number];

export interface Addon {
  /** The pid, or -errno. */
  spawn(file: string, argv: string[], envp: string[], cwd: string, output: AddonOutput, searchPath: string): number;
  /** spawn, as [uid, gid, supplementary groups] (fork, setgroups, setgid, setuid, exec); absent from an addon built before it. */
  spawnAs?(file: string, argv: string[], envp: string[], cwd: string, output: AddonOutput, searchPath: string, identity: [number, number, number[]]): number;
  /** [pid, stdout write end, stderr write end] of a log relay started on two new pipes, or -errno; absent from an addon built before it. */
  relay?(relayPath: string, logFd: number): [number, number, number] | number;
  /** [stdout read, stdout write, stderr read, stderr write] of two new pipes and a copy of logFd (all close-on-exec), or -errno; absent from an addon built before it. */
  pipes?(logFd: number): [number, number, number, number, number] | number;
  /** The pid of a log relay started on read ends of pipes(), or -errno; absent from an addon built before it. */
  relayOn?(relayPath: string, outRead: number, errRead: number, logFd: number): number;
  /** relayOn on a thread of libuv's pool: this thread goes on while that one waits for the relay's exec; absent from an addon built before it. */
  relayOnAsync?(relayPath: string, outRead: number, errRead: number, logFd: number): Promise<number>;
  /** undefined while it runs; [code, signal] (code -1 for a signal, signal 0 for none); -errno. */
  reap(pid: number): readonly [number, number] | number | undefined;
  /** The pid of a child that ended, not reaped (WNOWAIT); 0 when none did; -errno (ECHILD: no child). Absent from an addon built before it. */
  exited?(): number;
}

export interface NativeSpawnOptions {
  cwd: string;
  /** The child's whole environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where stdout and stderr go (the same descriptor twice for one file); stdin is /dev/null. */
  output: ServiceOutput;
  /** The account it runs as; absent: stack's own. */
  identity?: SpawnIdentity | undefined;
}

/** A service's stdout and stderr: open descriptors, copied to the child's 1 and 2. */
export interface ServiceOutput {
  stdout: number;
  stderr: number;
}

/** Who a child becomes before it execs: its user, group and supplementary groups. */
export interface SpawnIdentity {
  uid: number;
  gid: number;
  groups: readonly number[];
}

export type NativeSpawnResult = { pid: number; exited: Promise<ExitInfo> } | { errno: string; message: string };

/** A log relay the addon started: its pid, the write ends of its pipes (close-on-exec), its end. */
export type NativeRelayResult = { pid: number; stdout: number; stderr: number; exited: Promise<ExitInfo> } | { errno: string; message: string };

/**
 * A log relay's pipes, the relay not started yet: the service starts on the write ends first,
 * then `start` starts the relay on the read ends (what the service wrote meanwhile waits in the
 * pipes); `start` or `cancel` closes stack's read ends (and its copy of the log). The write
 * ends are the caller's to close.
 */
export interface NativePendingRelay {
  stdout: number;
  stderr: number;
  start(): Promise<{ pid: number; exited: Promise<ExitInfo> } | { errno: string; message: string }>;
  cancel(): void;
}

export interface NativeSpawner {
  /** False for an addon built before `spawnAs`: a start with an identity goes through node:child_process then. */
  readonly spawnsAs: boolean;
  /** False for an addon built before relay(): stdout and stderr apart go through node:child_process then. */
  readonly splitsOutput: boolean;
  spawn(argv: readonly string[], options: NativeSpawnOptions): NativeSpawnResult;
  /**
   * Starts native/build/Release/stack-log-relay on two new pipes, appending to `logFd`; reaped
   * here like a service. Absent when the relay program or the addon's relay() was not built.
   */
  readonly relay?: ((logFd: number) => NativeRelayResult) | undefined;
  /** The relay in two steps (NativePendingRelay); absent where `relay` is, or the addon was built before pipes(). */
  readonly pendingRelay?: ((logFd: number) => NativePendingRelay | { errno: string; message: string }) | undefined;
}

const ADDON = join('native', 'build', 'Release', 'stack_spawn.node');
/**
 * The native log relay's program, and so its name in /proc/<pid>/stat: each relay leads a session
 * of its own, and the scan for lost runs (state/adopt.ts) knows it by this name without reading its
 * environment.
 */
export const LOG_RELAY_PROGRAM = 'stack-log-relay';
const RELAY = LOG_RELAY_PROGRAM;

// dist/cli.cjs, dist/lib.js and src/providers/*.ts sit one or two folders below the package root.
function addonPath(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', ADDON), join(here, '..', '..', ADDON)].find((path) => existsSync(path));
}

let loaded: NativeSpawner | null | undefined;
// Why there is none, in words: see spawnerDescription.
let missing: string | undefined;

/** The native spawner, or undefined: not built, not Linux, or STACK_NATIVE_SPAWN=0. */
export function nativeSpawner(): NativeSpawner | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

/** How services start, for `--verbose` and `stack check`: `posix_spawn (native addon)`, or why not. */
export function spawnerDescription(): string {
  return nativeSpawner() ? 'posix_spawn (native addon)' : `node:child_process (${missing})`;
}

function load(): NativeSpawner | null {
  if (process.platform !== 'linux') return none('the native addon is for Linux only');
  if (process.env.STACK_NATIVE_SPAWN === '0') return none('STACK_NATIVE_SPAWN=0');
  const path = addonPath();
  if (!path) return none(`the native addon is not built: ${ADDON} needs g++, make and python3 when stack is installed`);
  const module = { exports: {} as Addon };
  try {
    process.dlopen(module, path);
  } catch (error) {
    // Built for another Node or libc: child_process does the same job.
    return none(`the native addon does not load: ${(error as Error).message.split('\n')[0]}`);
  }
  const relayPath = join(dirname(path), RELAY);
  return spawnerOf(module.exports, existsSync(relayPath) ? relayPath : undefined);
}

function none(why: string): null {
  missing = why;
  return null;
}

// Number → name, the first name listed winning over its aliases (SIGABRT, not SIGIOT), as
// node:child_process names them.
function namesOf(table: Readonly<Record<string, number>>): Map<number, string> {
  const names = new Map<number, string>();
  for (const [name, number] of Object.entries(table)) if (!names.has(number)) names.set(number, name);
  return names;
}
const signalNames = namesOf(constants.signals);
// libuv's names (getSystemErrorName) lack some the kernel returns, such as ENOEXEC.
const errnoNames = namesOf(constants.errno);

/** The spawner over a loaded addon (exported for tests that count what it asks the addon). */
export function spawnerOf(addon: Addon, relayPath: string | undefined): NativeSpawner {
  // Children exit into SIGCHLD; each waiting one is asked for by its pid, so the children of
  // node:child_process (probes, compose) stay libuv's to reap.
  const waiting = new Map<number, (exit: ExitInfo) => void>();
  const reap = (pid: number, resolve: (exit: ExitInfo) => void): void => {
    const status = addon.reap(pid);
    if (status === undefined) return;
    waiting.delete(pid);
    // -ECHILD: someone else reaped it; how it ended is unknown.
    if (typeof status === 'number') resolve({ code: null, signal: null });
    else resolve({ code: status[1] === 0 ? status[0] : null, signal: status[1] === 0 ? null : (signalNames.get(status[1]) ?? `SIG${status[1]}`) });
  };
  const exited = addon.exited?.bind(addon);
  const reapExited = (): void => {
    // The children that ended, one at a time, each reaped by its pid: a call per child that
    // ended instead of a waitpid for each one waited for (2,000 with 1,000 services and their
    // relays, at each of the 2,000 SIGCHLDs of a restart of all: ~1.6 s of a controller's CPU).
    // One that is not ours (node:child_process's, libuv reaps it) or no child at all (ours
    // reaped by someone else): each waiting one is asked for, as without the addon's exited().
    while (exited) {
      const pid = exited();
      if (pid === 0) return;
      const resolve = pid > 0 ? waiting.get(pid) : undefined;
      if (!resolve) break;
      reap(pid, resolve);
      // Never the same pid twice (it would be asked for forever).
      if (waiting.has(pid)) break;
    }
    for (const [pid, resolve] of waiting) reap(pid, resolve);
  };
  let listening = false;
  const listen = (): void => {
    if (listening) return;
    // Unref'd like every signal listener: it never keeps stack running.
    process.on('SIGCHLD', reapExited);
    listening = true;
  };
  // Reaped no earlier than the next SIGCHLD on the event loop, so the caller can still read
  // the child's /proc entry now, even if it has already exited.
  const exitOf = (pid: number): Promise<ExitInfo> => new Promise<ExitInfo>((resolve) => waiting.set(pid, resolve));
  const failure = (pid: number, what: string) => {
    const errno = errnoNames.get(-pid) ?? getSystemErrorName(pid);
    return { errno, message: `spawn ${what} ${errno}` };
  };
  const relay = addon.relay?.bind(addon);
  const pipes = addon.pipes?.bind(addon);
  const relayOn = addon.relayOn?.bind(addon);
  const relayOnAsync = addon.relayOnAsync?.bind(addon);

  return {
    spawnsAs: typeof addon.spawnAs === 'function',
    splitsOutput: typeof addon.relay === 'function',
    relay:
      relay && relayPath
        ? (logFd) => {
            listen();
            const started = relay(relayPath, logFd);
            if (typeof started === 'number') return failure(started, relayPath);
            const [pid, stdout, stderr] = started;
            return { pid, stdout, stderr, exited: exitOf(pid) };
          }
        : undefined,
    pendingRelay:
      pipes && relayOn && relayPath
        ? (logFd) => {
            const made = pipes(logFd);
            if (typeof made === 'number') return failure(made, 'pipe');
            const [outRead, stdout, errRead, stderr, log] = made;
            let open = true;
            const closeReadEnds = (): void => {
              if (!open) return;
              open = false;
              closeSync(outRead);
              closeSync(errRead);
              closeSync(log);
            };
            return {
              stdout,
              stderr,
              start: async () => {
                listen();
                // Off this thread where the addon can: starting 1,000 services, the relays' execs
                // overlap the next services' starts instead of adding to them.
                const pid = relayOnAsync ? await relayOnAsync(relayPath, outRead, errRead, log) : relayOn(relayPath, outRead, errRead, log);
                // The read ends are the relay's alone: a copy here would keep it from ever seeing the end.
                closeReadEnds();
                if (pid < 0) return failure(pid, relayPath);
                const exited = exitOf(pid);
                // Started on another thread: a relay that ended before it was waited for sent its
                // SIGCHLD before then, so it is asked for once now. Only it: asking for every child
                // after each of 1,000 relays was 2,000,000 waitpid calls (~3 s of an apply of 1,000).
                if (relayOnAsync) {
                  setImmediate(() => {
                    const resolve = waiting.get(pid);
                    if (resolve) reap(pid, resolve);
                  });
                }
                return { pid, exited };
              },
              cancel: closeReadEnds,
            };
          }
        : undefined,
    spawn(argv, options) {
      const [file, ...rest] = argv;
      const envp = Object.entries(options.env).flatMap(([key, value]) => (value === undefined ? [] : [`${key}=${value}`]));
      // C strings end at NUL: refused, as node:child_process refuses them.
      if (!file || [...argv, ...envp, options.cwd].some((text) => text.includes('\0'))) {
        return { errno: 'EINVAL', message: 'arguments, environment and working directory must not contain NUL characters' };
      }
      listen();
      const searchPath = options.env.PATH ?? '/usr/bin:/bin';
      const who = options.identity;
      const { stdout, stderr } = options.output;
      const output: AddonOutput = stdout === stderr ? stdout : [stdout, stderr];
      const pid =
        who && addon.spawnAs
          ? addon.spawnAs(file, [file, ...rest], envp, options.cwd, output, searchPath, [who.uid, who.gid, [...who.groups]])
          : addon.spawn(file, [file, ...rest], envp, options.cwd, output, searchPath);
      if (pid < 0) return failure(pid, file);
      return { pid, exited: exitOf(pid) };
    },
  };
}
