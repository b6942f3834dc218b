import { stat } from 'node:fs/promises';
import { closeSync, constants, fstatSync, writeSync } from 'node:fs';
import { openOwnFileSync } from '../../os/safe-file.js';
import { frameLine, stampOf } from '../../model/log-line.js';
import type { DesiredService } from '../../model/desired.js';
import type { ProcessSpec } from './spec.js';
import { SpawnError, signalGroup, spawnDetached } from '../../os/runner.js';
import { openLogRelay, prepareLogRelay, startedRelay, type LogRelay, type PendingLogRelay } from '../../os/log-relay.js';
import { OperationError, type ExitInfo, type OperationContext } from '../../model/provider.js';
import { logFileOf, noteRelay, openLogForAppend, rotateLogIfLarge, ensureLogsDir, type OpenedLog } from './logs.js';
import { readProcStatSync, type ProcStat } from '../../os/proc-stat.js';
import { specOf } from '../../reconcile/spec.js';
import { markerEnv } from '../../state/service-marker.js';
import { escapeControls } from '../../config/issues.js';
import { describeAccount, folderDenied, isCaller, loginEnv, type Account } from '../../os/accounts.js';
import { accountToRunAs } from './accounts.js';
import { startLimits, type StartLimits } from './limits.js';

/** A process run as the process provider starts it: every field is known. */
export interface ProcessRun {
  pid: number;
  pgid: number;
  startTicks: number;
  startedAt: string;
  exited: Promise<ExitInfo>;
  logFile: string;
  logOffset: number;
}

/** The process spec of a service, or an OperationError naming what is missing. */
export function processSpecOf(service: DesiredService): ProcessSpec {
  if (!service.process) throw new OperationError(service.name, `${service.name}: no command to run (provider "process")`);
  return service.process;
}

export async function assertCwd(name: string, cwd: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(cwd)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not accessible (permission denied)' : `cannot be read (${code})`;
    throw new OperationError(name, `${name}: working directory "${escapeControls(cwd)}" ${why}`, { cause: error });
  }
  if (!isDirectory) throw new OperationError(name, `${name}: working directory "${escapeControls(cwd)}" is not a directory`);
}

/** A working folder the service's user may not enter is a failed start, named, not a bare EACCES. */
async function assertCwdFor(name: string, cwd: string, account: Account): Promise<void> {
  const denied = await folderDenied(cwd, account);
  if (denied === undefined) return;
  const which = denied === cwd ? '' : ` (${escapeControls(denied)} is not searchable)`;
  throw new OperationError(name, `${name}: working directory "${escapeControls(cwd)}" is not accessible to ${describeAccount(account)}${which}; fix its permissions or set cwd:`);
}

// Resource errors from fork/exec: the system, not the service, is at fault; say which limit.
const RESOURCE_ERRORS: Readonly<Record<string, string>> = {
  EAGAIN: 'the process table is full or your process limit (ulimit -u) is reached',
  EMFILE: 'too many open files in stack',
  ENFILE: 'too many open files on the system',
  ENOMEM: 'out of memory',
};

/** Turns a spawn failure into words a person can act on. */
export function describeSpawnError(name: string, error: SpawnError): OperationError {
  const program = error.argv[0] ?? '';
  const where = program.includes('/') ? '' : ' on PATH';
  const resource = error.code === undefined ? undefined : RESOURCE_ERRORS[error.code];
  const message =
    error.code === 'ENOENT'
      ? `${name}: executable "${program}" not found${where}`
      : error.code === 'EACCES'
        ? `${name}: permission denied running "${program}"`
        : resource
          ? `${name}: cannot start "${program}": ${resource} (${error.code})`
          : `${name}: cannot start "${program}": ${error.message}`;
  return new OperationError(name, message, { cause: error });
}

// A run whose start ticks cannot be read could never be stopped safely, so it is killed at once.
function readStartStat(name: string, pid: number): ProcStat {
  let procStat: ProcStat | undefined;
  let cause: unknown;
  try {
    procStat = readProcStatSync(pid);
  } catch (error) {
    cause = error;
  }
  if (procStat) return procStat;
  signalGroup(pid, 'SIGKILL');
  throw new OperationError(name, `${name}: cannot read /proc/${pid}/stat right after the start; the process was killed`, { cause });
}

/**
 * Spawns the service detached in its own process group, output appended to its log, and reads
 * its start ticks from /proc before anything can reap it.
 */
export async function startProcess(service: DesiredService, ctx: OperationContext): Promise<ProcessRun> {
  const spec = processSpecOf(service);
  ctx.signal.throwIfAborted();
  // Before the log is opened: a start that cannot happen leaves nothing behind.
  const account = accountToRunAs(service.name, spec);
  if (account) await assertCwdFor(service.name, spec.cwd, account);
  await ensureLogsDir(ctx.stateDir);
  await rotateLogIfLarge(logFileOf(ctx.stateDir, service.name), service.logs);
  const limits = startLimits(service, spec.argv, ctx.stateDir);
  const log = await openLogForAppend(ctx.stateDir, service.name);
  try {
    markStart(log.fd, service.name);
    ctx.signal.throwIfAborted();
    let spawned: Awaited<ReturnType<typeof spawnDetached>>;
    let relayFailure: string | undefined;
    let startedAt: string;
    let procStat: ReturnType<typeof readStartStat>;
    try {
      // The marker lets a later run find this process even if its pid never reaches the state file.
      const env = { ...(account ? loginEnv(account) : {}), ...spec.env, ...markerEnv(ctx.stateDir, service.name, specOf(service)) };
      const identity = account && !isCaller(account) ? account : undefined;
      // Its output reaches the log through a relay that frames each line with its time and stream.
      // A relay started ahead for this run (a restart), or the service first and its relay right
      // after: either way a restart waits for no exec but the service's.
      const relay = takeSpareRelay(log) ?? (await prepareLogRelay(log.fd, { verbose: ctx.verbose }));
      try {
        spawned = await spawnDetached(limits.argv, { cwd: spec.cwd, env, output: relay, identity, verbose: ctx.verbose });
        joinLimits(service.name, limits, spawned.pid);
        startedAt = new Date().toISOString();
        // No turn of the event loop since the spawn: the child is at worst a zombie, never
        // reaped, so /proc has it.
        procStat = readStartStat(service.name, spawned.pid);
      } catch (error) {
        relay.cancel();
        throw error;
      }
      // Not waited for: the relay's exec overlaps what comes next (the next link of a chain, the
      // next of 1,000 services); what the service prints meanwhile waits in the pipes. A relay
      // that cannot start ends the service, whose output would have no reader, and its exit says why.
      const pid = spawned.pid;
      const relaying = relay.start();
      relaying.catch((error: unknown) => {
        relayFailure = `its log relay could not start (${error instanceof Error ? error.message : String(error)})`;
        signalGroup(pid, 'SIGKILL');
      });
      noteRelay(log.file, log.offset, relaying.then((started) => started.exited, () => undefined), spawned.exited);
      // Started again by this process: a controller restarting it. Its next run's relay waits ready.
      if (startedHere.has(log.file)) prepareSpareRelay(log.file);
      startedHere.add(log.file);
    } catch (error) {
      limits.ended();
      if (!(error instanceof SpawnError)) throw error;
      // A missing working directory fails the spawn with ENOENT too: checked only now, so a
      // start that works costs no extra stat.
      await assertCwd(service.name, spec.cwd);
      throw describeSpawnError(service.name, error);
    }
    return {
      pid: spawned.pid,
      pgid: spawned.pid,
      startTicks: procStat.startTicks,
      startedAt,
      // Timed as it happens: the settle check runs after every start and must judge when it exited.
      exited: spawned.exited.then((exit) => {
        const reason = limits.ended() ?? relayFailure;
        return { ...exit, seenAt: Date.now(), ...(reason === undefined ? {} : { reason }) };
      }),
      logFile: log.file,
      logOffset: log.offset,
    };
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log.fd);
  }
}

// No await between the spawn and this: the run has done next to nothing outside its group.
function joinLimits(name: string, limits: StartLimits, pid: number): void {
  try {
    limits.joined(pid);
  } catch (error) {
    signalGroup(pid, 'SIGKILL');
    throw error;
  }
}

// ---- spare relays: a restarted service's next relay, started while it runs ----------------------

/** Log files this process started a run for: a second start of one is a controller's restart. */
const startedHere = new Set<string>();
/** Relays started ahead for a service's next run, by log file, with the inode of the log they append to. */
const spares = new Map<string, { relay: LogRelay; inode: number }>();
/** How long after a restart its next relay is started: not while the run it follows is starting. */
const SPARE_DELAY_MS = 50;

/**
 * Starts, a little later, the relay of the next run of a service this process restarts, on
 * its own pipes: the next restart hands them to the service at once. A spare appends to the
 * log as it was then: a log rotated meanwhile (a new file) makes it useless, and it is let go.
 * Unused, it waits on pipes only this process holds, so it ends (writing nothing) when this
 * process does.
 */
function prepareSpareRelay(file: string): void {
  setTimeout(() => {
    if (spares.has(file)) return;
    let fd: number;
    try {
      fd = openOwnFileSync(file, constants.O_WRONLY | constants.O_APPEND);
    } catch {
      return;
    }
    void openLogRelay(fd)
      .then((relay) => {
        const old = spares.get(file);
        spares.set(file, { relay, inode: fstatSync(fd).ino });
        old?.relay.close();
      })
      .catch(() => undefined)
      .finally(() => closeSync(fd));
  }, SPARE_DELAY_MS).unref();
}

/** The spare relay of `log`'s service, if one waits and still appends to this file; as a PendingLogRelay. */
function takeSpareRelay(log: OpenedLog): PendingLogRelay | undefined {
  const spare = spares.get(log.file);
  if (!spare) return undefined;
  spares.delete(log.file);
  if (spare.inode !== fstatSync(log.fd).ino) {
    spare.relay.close();
    return undefined;
  }
  return startedRelay(spare.relay);
}

/** The pid of the relay waiting for the next run of `file`'s service, if one does. */
export function spareRelayPid(file: string): number | undefined {
  return spares.get(file)?.relay.pid;
}

/** Lets go of a service's spare relay (it is stopped for good): it ends, writing nothing. */
export function dropSpareRelay(file: string): void {
  spares.get(file)?.relay.close();
  spares.delete(file);
  startedHere.delete(file);
}

/** Where this run's output begins, in the log's own words (`stack logs` shows it in place); a full disk does not stop the start. */
function markStart(fd: number, name: string): void {
  try {
    writeSync(fd, frameLine({ text: `── ${name} started ──`, stream: 'stack', at: stampOf(new Date()) }));
  } catch {
    // The relay says what it could not write, once there is room.
  }
}
