import { setTimeout as delay } from 'node:timers/promises';
import type { StopSpec } from '../model/desired.js';
import { signalGroup } from './runner.js';
import { monotonicMs } from './monotonic.js';
import { descendantsOutside, signalDescendants, stillRunning, type Descendant } from './descendants.js';
import { listGroupMembers } from './group-members.js';
import { ownershipOf, readProcStatSync, type ProcStat } from './proc-stat.js';

/** What stack recorded about a run. */
export interface RunRecord {
  pid: number;
  /** Defaults to pid: the service was started as its own group leader. */
  pgid?: number | undefined;
  startTicks: number;
}

export type StopOutcome =
  /** Every member of the group is gone; `signal` is the last one that was needed; `outside`: descendants outside the group stopped with it. */
  | { kind: 'stopped'; signal: NodeJS.Signals; killed: boolean; outside?: number }
  /** Nothing of this run was left; nothing was signalled. */
  | { kind: 'already-gone' }
  /** The pid now belongs to another process; nothing was signalled. */
  | { kind: 'recycled' };

export interface StopOptions {
  signal?: AbortSignal | undefined;
  verbose?: ((line: string) => void) | undefined;
  /** How often group membership is checked. */
  pollMs?: number;
  /** How long to wait for the group to vanish after SIGKILL before giving up. */
  killConfirmMs?: number;
}

/** Thrown when a group outlives SIGKILL (e.g. a process stuck in uninterruptible sleep). */
export class StopFailedError extends Error {
  readonly pids: number[];
  constructor(pgid: number, pids: number[]) {
    super(`process group ${pgid} still has ${pids.length} process(es) after SIGKILL: ${pids.join(', ')}`);
    this.name = 'StopFailedError';
    this.pids = pids;
  }
}

// Members left behind by a dead leader. The pgid cannot be handed to a new process while the
// group exists, and our leader made its own session, so `session === pgid` started no earlier
// than the leader identifies survivors of this run.
export async function orphansOf(run: RunRecord, pgid: number): Promise<ProcStat[]> {
  const members = await listGroupMembers(pgid);
  return members.filter((member) => member.session === pgid && member.startTicks >= run.startTicks);
}

function leaderAlive(pgid: number): boolean {
  const stat = readProcStatSync(pgid);
  return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X';
}

/** Polls until the group has no live member; false when `timeoutMs` passes first. */
export async function waitForGroupGone(
  pgid: number,
  timeoutMs: number,
  options: { signal?: AbortSignal | undefined; pollMs?: number } = {},
): Promise<boolean> {
  const deadline = monotonicMs() + timeoutMs;
  const pollMs = options.pollMs ?? 15;
  // Most services are gone a millisecond after the signal: the first checks come quickly, then
  // the pace slows to pollMs (1, 2, 4, 8, 15, 15 … ms), so stopping 50 is not 50 × pollMs.
  let pause = Math.min(1, pollMs);
  for (;;) {
    options.signal?.throwIfAborted();
    // While the leader lives the group is not gone: one small read instead of a scan of /proc.
    if (!leaderAlive(pgid) && (await listGroupMembers(pgid)).length === 0) return true;
    const remaining = deadline - monotonicMs();
    if (remaining <= 0) return false;
    await delay(Math.min(pause, remaining), undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
    pause = Math.min(pause * 2, pollMs);
  }
}

/** Polls until none of `descendants` is still the process found; false when `timeoutMs` passes first. */
async function waitForDescendantsGone(descendants: readonly Descendant[], timeoutMs: number, options: { signal?: AbortSignal | undefined; pollMs?: number }): Promise<boolean> {
  const deadline = monotonicMs() + timeoutMs;
  let pause = 1;
  for (;;) {
    options.signal?.throwIfAborted();
    if (descendants.every((descendant) => stillRunning(descendant) === undefined)) return true;
    const remaining = deadline - monotonicMs();
    if (remaining <= 0) return false;
    await delay(Math.min(pause, remaining), undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
    pause = Math.min(pause * 2, options.pollMs ?? 15);
  }
}

export type SignalRunOutcome =
  /**
   * Sent to the group, and to `outside`: each descendant outside it that was signalled, to its
   * own group when it leads one (whose members are then not signalled again; they are in `outside` too).
   */
  | { kind: 'sent'; outside: Descendant[] }
  | { kind: 'already-gone' }
  | { kind: 'recycled' };

/**
 * Sends `signal` once to a run's process group and to what it started outside it, if the
 * recorded pid still is that run (or its leader died and members of the run remain): a recycled
 * pid is never signalled. What a stop sends first, and all `stack signal` sends.
 */
export async function signalRun(run: RunRecord, signal: NodeJS.Signals, verbose?: (line: string) => void): Promise<SignalRunOutcome> {
  const pgid = run.pgid ?? run.pid;
  const stat = readProcStatSync(run.pid);
  const ownership = ownershipOf(stat, run.startTicks);
  if (ownership === 'recycled') return { kind: 'recycled' };
  if (ownership !== 'ours' && (await orphansOf(run, pgid)).length === 0) return { kind: 'already-gone' };
  // Read before the signal: a parent that dies takes the PPid link to its escaped children with it.
  const escaped = (await descendantsOutside(pgid, ownership === 'ours' ? stat : undefined)).filter((descendant) => descendant.startTicks >= run.startTicks);
  const signalled = signalGroup(pgid, signal, verbose);
  const outside = signalOnce(escaped, signal, verbose);
  if (!signalled && outside.length === 0) return { kind: 'already-gone' };
  return { kind: 'sent', outside };
}

/** signalDescendants, but a member of a group one of them leads gets the signal once, with its group (two HUPs are two reloads). */
function signalOnce(escaped: readonly Descendant[], signal: NodeJS.Signals, verbose?: (line: string) => void): Descendant[] {
  const leaders = new Set(escaped.filter((descendant) => descendant.leads).map((descendant) => descendant.pid));
  const groupOf = (descendant: Descendant) => readProcStatSync(descendant.pid)?.pgrp;
  const members = escaped.filter((descendant) => !descendant.leads && leaders.has(groupOf(descendant) ?? -1));
  const signalled = signalDescendants(escaped.filter((descendant) => !members.includes(descendant)), signal, verbose);
  const reached = new Set(signalled.map((descendant) => descendant.pid));
  return [...signalled, ...members.filter((member) => reached.has(groupOf(member) ?? -1))];
}

/**
 * Stops a run's whole process group and what it started outside it (descendants.ts):
 * `stop.signal` to both, up to `stop.timeoutMs` for every one to go (zombies count as gone),
 * then SIGKILL and confirm. A recycled pid is never signalled.
 * On abort it stops waiting and rejects with the abort reason; signals already sent stay sent.
 */
export async function stopProcessGroup(run: RunRecord, stop: StopSpec, options: StopOptions = {}): Promise<StopOutcome> {
  const pgid = run.pgid ?? run.pid;
  options.signal?.throwIfAborted();
  const sent = await signalRun(run, stop.signal, options.verbose);
  if (sent.kind !== 'sent') return sent;
  const { outside } = sent;

  const waitOptions = { signal: options.signal, pollMs: options.pollMs ?? 15 };
  const deadline = monotonicMs() + stop.timeoutMs;
  if ((await waitForGroupGone(pgid, stop.timeoutMs, waitOptions)) && (await waitForDescendantsGone(outside, Math.max(0, deadline - monotonicMs()), waitOptions))) {
    return { kind: 'stopped', signal: stop.signal, killed: false, outside: outside.length };
  }
  signalGroup(pgid, 'SIGKILL', options.verbose);
  signalDescendants(outside, 'SIGKILL', options.verbose);
  const confirmMs = options.killConfirmMs ?? 5000;
  if ((await waitForGroupGone(pgid, confirmMs, waitOptions)) && (await waitForDescendantsGone(outside, confirmMs, waitOptions))) {
    return { kind: 'stopped', signal: 'SIGKILL', killed: true, outside: outside.length };
  }
  const left = [...(await listGroupMembers(pgid)).map((member) => member.pid), ...outside.filter((descendant) => stillRunning(descendant)).map((descendant) => descendant.pid)];
  throw new StopFailedError(pgid, left);
}
