// A service's log relay: the process that reads the service's stdout and stderr from two pipes
// and appends them to its log, each line framed with its time and stream (model/log-line.ts).
// It is a process of its own, not a part of stack, because stack is daemonless: `stack apply`
// starts a service and exits, and the lines go on being framed until the service and every
// descendant holding its output have closed it.
//
// native/build/Release/stack-log-relay (native/log-relay.c) where the addon is built, started by
// posix_spawn on pipes the addon makes. Else the same relay in JavaScript (log-relay-main.ts,
// bundled as dist/log-relay.cjs) run by Node through node:child_process, on named pipes: Node
// makes no anonymous pipe (its `'pipe'` stdio is a socket pair, and a service whose stdout is a
// socket cannot open /dev/stdout, as nginx's images do), so `mkfifo` makes two in a private
// folder, stack opens both ends of each and removes them at once.
//
// Either way the relay runs in a session of its own (a signal to the service's group does not
// reach it), with an empty environment (no service marker: `stack down` never takes it for a
// service's process), and is reaped by stack while stack lives.
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExitInfo } from '../model/provider.js';
import { nativeSpawner, spawnerDescription } from './native-spawn.js';
import { SpawnError } from './runner.js';

export interface LogRelay {
  pid: number;
  /** The write end of the stdout pipe (close-on-exec): the service's stdout, `output.stdout` of spawnDetached. */
  stdout: number;
  /** The write end of the stderr pipe (close-on-exec). */
  stderr: number;
  /** Which relay runs: the C program, or Node running dist/log-relay.cjs. */
  via: 'native' | 'node';
  /** Settles when the relay exits (code 0 once both pipes ended), while this process lives; never rejects. */
  exited: Promise<ExitInfo>;
  /**
   * Closes this process's copies of the write ends: call it once the service has its copies
   * (or could not be started). Until then the relay cannot see the end of the output.
   */
  close(): void;
}

export interface OpenLogRelayOptions {
  /** false: the relay in JavaScript even where the native one is built (tests). Default: native where built. */
  native?: boolean | undefined;
  /** The JavaScript relay's bundle; default dist/log-relay.cjs of this package. */
  script?: string | undefined;
  verbose?: ((line: string) => void) | undefined;
}

const SCRIPT = 'log-relay.cjs';

// dist/cli.cjs and dist/lib.js sit beside the bundle; src/os/log-relay.ts two folders below the
// package root, whose dist/ has it once `npm run build` ran.
function scriptPath(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, SCRIPT), join(here, '..', '..', 'dist', SCRIPT)].find((path) => existsSync(path));
}

/**
 * Starts a log relay appending to `logFd` (an O_APPEND descriptor of the service's log; the
 * relay holds its own copy, the caller may close it). Give `stdout` and `stderr` to the
 * service (spawnDetached's `output`), then call `close()`. Rejects with a SpawnError when no
 * relay can be started.
 */
export async function openLogRelay(logFd: number, options: OpenLogRelayOptions = {}): Promise<LogRelay> {
  const native = options.native === false ? undefined : nativeSpawner()?.relay;
  // Once per run, as a shell comment, as runner.ts says how services start.
  if (options.verbose && !toldWhichRelay.has(options.verbose)) {
    toldWhichRelay.add(options.verbose);
    options.verbose(`# their output is framed by ${native ? 'stack-log-relay (native)' : logRelayDescription()}`);
  }
  if (native) {
    const started = native(logFd);
    if ('errno' in started) throw new SpawnError(['stack-log-relay'], started.errno, started.message);
    return { ...started, via: 'native', close: closerOf(started) };
  }
  return openNodeRelay(logFd, options);
}

const toldWhichRelay = new WeakSet<(line: string) => void>();

/**
 * A log relay whose service starts first: its pipes now, the relay itself once the service
 * has its copies of the write ends. A start (a restart under a controller) then waits for one
 * exec, the service's, not the relay's too; what the service writes before the relay runs
 * waits in the pipes, in order.
 */
export interface PendingLogRelay {
  /** The write ends of the pipes (close-on-exec), for the service. */
  stdout: number;
  stderr: number;
  /**
   * Closes this process's copies of the write ends and starts the relay on the read ends.
   * Rejects with a SpawnError when it cannot: the service's output has no reader then.
   */
  start(): Promise<LogRelay>;
  /** No service to relay (its spawn failed): the pipes closed, no relay left waiting. */
  cancel(): void;
}

/** A relay already running (started here, or ahead for a restart) as a PendingLogRelay: `start` only closes this process's write ends. */
export function startedRelay(relay: LogRelay): PendingLogRelay {
  return {
    stdout: relay.stdout,
    stderr: relay.stderr,
    start: () => {
      relay.close();
      return Promise.resolve(relay);
    },
    cancel: relay.close,
  };
}

/**
 * The pipes of a log relay appending to `logFd`, the relay started by `start()` (see
 * PendingLogRelay). Where the addon cannot make the pipes alone (the relay in JavaScript, an
 * addon built before pipes()), the relay starts here, as openLogRelay starts it.
 */
export async function prepareLogRelay(logFd: number, options: OpenLogRelayOptions = {}): Promise<PendingLogRelay> {
  const pending = options.native === false ? undefined : nativeSpawner()?.pendingRelay;
  if (!pending) return startedRelay(await openLogRelay(logFd, options));
  if (options.verbose && !toldWhichRelay.has(options.verbose)) {
    toldWhichRelay.add(options.verbose);
    options.verbose('# their output is framed by stack-log-relay (native)');
  }
  const pipes = pending(logFd);
  if ('errno' in pipes) throw new SpawnError(['stack-log-relay'], pipes.errno, pipes.message);
  const close = closerOf(pipes);
  return {
    stdout: pipes.stdout,
    stderr: pipes.stderr,
    start: async () => {
      close();
      const started = await pipes.start();
      if ('errno' in started) throw new SpawnError(['stack-log-relay'], started.errno, started.message);
      return { pid: started.pid, stdout: pipes.stdout, stderr: pipes.stderr, via: 'native', exited: started.exited, close };
    },
    cancel: () => {
      close();
      pipes.cancel();
    },
  };
}



/** Which relay frames services' logs, for `--verbose` and `stack check`: the native one, or Node and why. */
export function logRelayDescription(): string {
  const spawner = nativeSpawner();
  if (spawner?.relay) return 'stack-log-relay (native)';
  const why = spawner ? 'native/build/Release/stack-log-relay is not built' : spawnerDescription().replace(/^node:child_process \((.*)\)$/, '$1');
  return `node ${SCRIPT} (${why})`;
}

function closerOf(ends: { stdout: number; stderr: number }): () => void {
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    closeSync(ends.stdout);
    closeSync(ends.stderr);
  };
}

async function openNodeRelay(logFd: number, options: OpenLogRelayOptions): Promise<LogRelay> {
  const script = options.script ?? scriptPath();
  const argv = [process.execPath, script ?? SCRIPT, '3', '4', '5'];
  if (!script) throw new SpawnError(argv, 'ENOENT', `the log relay ${SCRIPT} is not built: run \`npm run build\``);
  const pipes = await makePipes();
  // Loaded here: commands that only read (`stack status`) never need it.
  const { spawn } = await import('./child-process.js');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(process.execPath, argv.slice(1), { detached: true, env: {}, stdio: ['ignore', 'ignore', 'ignore', pipes.out.read, pipes.err.read, logFd] });
  } catch (error) {
    pipes.closeAll();
    throw new SpawnError(argv, (error as NodeJS.ErrnoException).code, (error as Error).message, error);
  } finally {
    pipes.closeReadEnds();
  }
  if (child.pid === undefined) {
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve));
    pipes.closeAll();
    throw new SpawnError(argv, error.code, error.message, error);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => undefined);
  });
  child.unref();
  const ends = { stdout: pipes.out.write, stderr: pipes.err.write };
  return { pid: child.pid, ...ends, via: 'node', exited, close: closerOf(ends) };
}

interface Pipe {
  read: number;
  write: number;
}

/**
 * Two pipes as two FIFOs opened at both ends and removed: plain pipes, as the addon makes. The
 * read ends are opened first without blocking (a FIFO's open waits for the other end), then the
 * write ends, which a reader lets open at once; both close-on-exec, as Node opens every file.
 */
async function makePipes(): Promise<{ out: Pipe; err: Pipe; closeReadEnds(): void; closeAll(): void }> {
  const folder = await mkdtemp(join(tmpdir(), 'stack-relay-'));
  try {
    const [outPath, errPath] = [join(folder, 'out'), join(folder, 'err')];
    await mkfifo([outPath, errPath]);
    const opened: number[] = [];
    try {
      const open = (path: string): Pipe => {
        const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
        opened.push(read);
        const write = openSync(path, constants.O_WRONLY);
        opened.push(write);
        return { read, write };
      };
      const out = open(outPath);
      const err = open(errPath);
      let readOpen = true;
      const closeReadEnds = (): void => {
        if (!readOpen) return;
        readOpen = false;
        closeSync(out.read);
        closeSync(err.read);
      };
      return {
        out,
        err,
        closeReadEnds,
        closeAll: () => {
          closeReadEnds();
          closeSync(out.write);
          closeSync(err.write);
        },
      };
    } catch (error) {
      for (const fd of opened) closeSync(fd);
      throw new SpawnError(['mkfifo'], (error as NodeJS.ErrnoException).code, `cannot open the log relay's pipes: ${(error as Error).message}`, error);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function mkfifo(paths: readonly string[]): Promise<void> {
  const argv = ['mkfifo', '-m', '600', ...paths];
  const { spawn } = await import('./child-process.js');
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const [code, error] = await new Promise<[number | null, NodeJS.ErrnoException | undefined]>((resolve) => {
    child.once('error', (failure) => resolve([null, failure]));
    child.once('close', (exitCode) => resolve([exitCode, undefined]));
  });
  if (code !== 0) throw new SpawnError(argv, error?.code, `cannot make the log relay's pipes: ${error?.message ?? stderr.trim()}`, error);
}
