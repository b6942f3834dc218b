import { readFileSync } from 'node:fs';
import type { StopSpec } from '../model/desired.js';
import type { AppliedService, ObservedService } from '../model/observed.js';
import { scanProcStats } from '../os/group-members.js';
import { LOG_RELAY_PROGRAM } from '../os/native-spawn.js';
import { checkOwnership, readBootTime, readProcStatSync, ticksToIso } from '../os/proc-stat.js';
import { MARKED_PROVIDER, markerIn, marksItsRuns, stateKeysOf, type SpecHashes } from './service-marker.js';

/** A live process carrying the marker of one service of this stack, and the group to stop it by. */
export interface MarkedRun {
  service: string;
  pid: number;
  /** pid for a leader; for a stray, the group it is in. */
  pgid: number;
  startTicks: number;
  spec?: SpecHashes;
}

export interface MarkedProcesses {
  /** Leaders of their own session and group, as the process provider spawns: one per service, the oldest. */
  runs: Map<string, MarkedRun>;
  /**
   * Marked processes that lead nothing, outside the groups of recorded runs and of `runs`, whose
   * session is a recorded run's (a child that moved to a group of its own) or lost its leader
   * (a daemon's fork, setsid, fork). One per group, the oldest.
   */
  strays: MarkedRun[];
}

/**
 * Scans /proc for processes whose environment carries this state folder's marker; throws
 * ProcUnavailableError when /proc cannot be listed. Other users' environ is unreadable and
 * skipped: never ours. Runs in `recorded` (`pid:startTicks`), members of `recordedGroups` (the
 * groups of recorded runs, which are also their sessions), and processes of other live
 * sessions are skipped without reading their environment.
 */
export async function findMarkedProcesses(
  stateDir: string,
  recorded: ReadonlySet<string> = new Set(),
  recordedGroups: ReadonlySet<number> = new Set(),
): Promise<MarkedProcesses> {
  const keys = stateKeysOf(stateDir);
  const runs = new Map<string, MarkedRun>();
  const strays = new Map<number, MarkedRun>();
  const stats = scanProcStats();
  const live = new Set(stats.filter((stat) => stat.state !== 'Z').map((stat) => stat.pid));
  for (const stat of stats) {
    // Session 0 holds kernel threads (and, here, what PID 1 starts): no run of ours is in it, as
    // every one made a session of its own, and neither is anything it left behind.
    if (stat.state === 'Z' || stat.session === 0) continue;
    const leader = stat.pid === stat.pgrp && stat.pid === stat.session;
    if (leader) {
      // A run the state already records (same pid, same start) needs no look at its environment.
      if (recorded.has(runKey(stat.pid, stat.startTicks))) continue;
      // Nor does a log relay (one per running service, leading a session of its own, never a run):
      // with 1,000 services their environments were ~1,000 reads on every command. A service
      // whose program is named stack-log-relay would not be adopted after a lost state write.
      if (stat.comm === LOG_RELAY_PROGRAM) continue;
    } else if (recordedGroups.has(stat.pgrp) || (live.has(stat.session) && !recordedGroups.has(stat.session))) {
      // In a recorded run's group (it goes with it), or in a session whose leader lives on.
      continue;
    }
    const marker = markerIn(readQuietly(`/proc/${stat.pid}/environ`, 'latin1'), keys);
    if (!marker) continue;
    const run: MarkedRun = { service: marker.service, pid: stat.pid, pgid: stat.pgrp, startTicks: stat.startTicks, ...(marker.spec ? { spec: marker.spec } : {}) };
    // Two leaders for one service would be a bug; the older one is the run stack meant to keep.
    const known = leader ? runs.get(marker.service) : strays.get(stat.pgrp);
    if (known && known.startTicks <= run.startTicks) continue;
    if (leader) runs.set(marker.service, run);
    else strays.set(stat.pgrp, run);
  }
  const ledByRuns = new Set([...runs.values()].map((run) => run.pid));
  return { runs, strays: [...strays.values()].filter((stray) => !ledByRuns.has(stray.pgid)) };
}

const runKey = (pid: number, startTicks: number): string => `${pid}:${startTicks}`;

/**
 * Whether every process record holds a run that is running now, as observed, or is one stack
 * stopped that stack.yaml still declares stopped (`stoppedOnPurpose`): then no run of theirs can
 * be missing from the state, and a command that only looks skips the scan of /proc. A lost write
 * could only concern a service no longer in stack.yaml, or one whose start's write was lost and
 * whose stack.yaml was set back to `stopped` before any command acted (two faults), which the
 * commands that act (apply, down, watch) still find, as they always scan. Without the second
 * rule one service stopped on purpose made every `status` of the stack scan /proc (~50 ms of a
 * `status` of 1,000).
 */
export function runsAccountedFor(applied: ReadonlyMap<string, AppliedService>, observed: ReadonlyMap<string, ObservedService>, stoppedOnPurpose: ReadonlySet<string> = new Set()): boolean {
  return [...applied].every(([name, record]) => {
    if (!marksItsRuns(record)) return true;
    const phase = observed.get(name)?.phase;
    return phase === 'running' || (phase === 'stopped' && record.stoppedByUs === true && record.pid === undefined && stoppedOnPurpose.has(name));
  });
}

/** What an adoption did: the services whose run it recorded, and the marked runs it left alone. */
export interface Adoption {
  adopted: string[];
  /**
   * Found outside the services' recorded groups and not adopted: marked leaders beside their
   * service's live run (`setsid`), and strays. `down` stops them once their services are stopped.
   */
  leftAlone: MarkedRun[];
}

/**
 * Records marked runs that the state does not hold as live: the pid of a start whose state write
 * was lost. A record that holds another live run of ours is left alone.
 */
export async function adoptMarkedRuns(services: Record<string, AppliedService>, stateDir: string): Promise<Adoption> {
  const withRun = Object.values(services).filter((record) => record.pid !== undefined && record.startTicks !== undefined);
  const recorded = new Set(withRun.map((record) => runKey(record.pid as number, record.startTicks as number)));
  // Only non-leaders are skipped by group, so a stale record never hides a run to adopt.
  const { runs, strays } = await findMarkedProcesses(stateDir, recorded, new Set(withRun.map((record) => record.pgid ?? (record.pid as number))));
  // Strays are never adopted as runs (no run stack started looks like one), only stopped by down.
  const leftAlone: MarkedRun[] = strays.filter((stray) => {
    const record = services[stray.service];
    return record !== undefined && marksItsRuns(record);
  });
  if (runs.size === 0) return { adopted: [], leftAlone };
  const bootTime = await readBootTime().catch(() => undefined);
  const adopted: string[] = [];
  for (const run of runs.values()) {
    const record = services[run.service];
    if (record && !marksItsRuns(record)) continue;
    if (record?.pid === run.pid && record.startTicks === run.startTicks) continue;
    if (record?.pid !== undefined && record.startTicks !== undefined && (await checkOwnership(record.pid, record.startTicks)) === 'ours') {
      leftAlone.push(run);
      continue;
    }
    const sameSpec = record !== undefined && run.spec !== undefined && record.specHash === run.spec.specHash;
    services[run.service] = {
      ...record,
      provider: MARKED_PROVIDER,
      specHash: run.spec?.specHash ?? record?.specHash ?? '',
      installHash: run.spec?.installHash ?? record?.installHash ?? '',
      // The recorded fields describe another spec when the hash moved on; none beats wrong ones.
      fields: sameSpec || !run.spec ? (record?.fields ?? {}) : {},
      restarts: record?.restarts ?? 0,
      pid: run.pid,
      pgid: run.pid,
      startTicks: run.startTicks,
      startedAt: bootTime === undefined ? new Date().toISOString() : ticksToIso(run.startTicks, bootTime),
      stoppedByUs: false,
      lastExit: undefined,
      gaveUp: false,
    };
    adopted.push(run.service);
  }
  return { adopted, leftAlone };
}

/** One run `stopEscapedRuns` stopped, or could not stop (`error`). */
export interface EscapedRunStop {
  run: MarkedRun;
  error?: string;
}

/** Rounds of scans for what stopped services left running, within reason. */
export const MAX_ESCAPED_ROUNDS = 8;

/**
 * A process that made itself a session leader (`setsid`), or a stray (a daemon's fork, setsid,
 * fork), left its service's group, so it is not stopped with the group, but it carries the
 * service's marker. An adoption found such processes (`leftAlone`); once their services are stopped,
 * these are stopped too, by their own groups, and /proc is scanned again until none is left, or
 * MAX_ESCAPED_ROUNDS have passed (`left`). Without such a process this costs nothing.
 */
export async function stopEscapedRuns(
  stateDir: string,
  leftAlone: readonly MarkedRun[],
  services: ReadonlySet<string>,
  stopOf: (service: string) => StopSpec,
): Promise<{ stops: EscapedRunStop[]; left: MarkedRun[] }> {
  const stops: EscapedRunStop[] = [];
  let runs = leftAlone.filter((run) => services.has(run.service));
  if (runs.length === 0) return { stops, left: [] };
  const { stopProcessGroup } = await import('../os/stop-group.js');
  const failed = new Set<number>();
  for (let round = 0; runs.length > 0; round += 1) {
    if (round === MAX_ESCAPED_ROUNDS) return { stops, left: runs };
    await Promise.all(
      runs.map(async (run) => {
        try {
          // Found before the services' own stops: a process that since moved to another group is
          // left to the next scan, so a group id handed out again is never signalled.
          if (!stillIn(run)) return;
          if ((await stopProcessGroup({ pid: run.pid, pgid: run.pgid, startTicks: run.startTicks }, stopOf(run.service))).kind === 'stopped') stops.push({ run });
        } catch (error) {
          failed.add(run.pid);
          stops.push({ run, error: (error as Error).message });
        }
      }),
    );
    let found: MarkedProcesses;
    try {
      found = await findMarkedProcesses(stateDir);
    } catch {
      return { stops, left: [] };
    }
    runs = [...found.runs.values(), ...found.strays].filter((run) => services.has(run.service) && !failed.has(run.pid));
  }
  return { stops, left: [] };
}

/**
 * Stops the marked processes of `service` that this process did not spawn, once the run's own
 * leader is dead: what it left outside its group (`setsid child &` before it exited), which the
 * next scan would otherwise adopt as the service's run. A run this process started since (a
 * supervisor's restart) is its child, so it is spared. Returns how many were stopped.
 */
export async function stopMarkedLeftovers(stateDir: string, service: string, stop: StopSpec, signal?: AbortSignal): Promise<number> {
  const { runs, strays } = await findMarkedProcesses(stateDir);
  const left = [...runs.values(), ...strays].filter((run) => run.service === service && readProcStatSync(run.pid)?.ppid !== process.pid);
  if (left.length === 0) return 0;
  const { stopProcessGroup } = await import('../os/stop-group.js');
  let stopped = 0;
  for (const run of left) {
    if (!stillIn(run)) continue;
    const outcome = await stopProcessGroup({ pid: run.pid, pgid: run.pgid, startTicks: run.startTicks }, stop, { signal });
    if (outcome.kind === 'stopped') stopped += 1;
  }
  return stopped;
}

/**
 * The marked processes of `service` outside the group of its run `run` and started no earlier
 * than it, besides those `known` already: what the run left behind after a double fork (its
 * parent gone, so no PPid link leads to it). Like adoption's scan, it finds one more leader per
 * service and one stray per group.
 */
export async function markedOutsideRun(stateDir: string, service: string, run: { pid: number; pgid: number; startTicks: number }, known: readonly { pid: number; startTicks: number }[] = []): Promise<MarkedRun[]> {
  const recorded = new Set([run, ...known].map((each) => runKey(each.pid, each.startTicks)));
  const { runs, strays } = await findMarkedProcesses(stateDir, recorded, new Set([run.pgid]));
  return [...runs.values(), ...strays].filter((found) => found.service === service && found.pgid !== run.pgid && found.startTicks >= run.startTicks);
}

function stillIn(run: MarkedRun): boolean {
  const stat = readProcStatSync(run.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTicks === run.startTicks && stat.pgrp === run.pgid;
}

function readQuietly(file: string, encoding: BufferEncoding): string {
  try {
    return readFileSync(file, encoding);
  } catch {
    return '';
  }
}
