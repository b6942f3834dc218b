import { isTask, type DesiredService } from '../model/desired.js';
import { describeExit } from '../providers/probes.js';
import type { ExitInfo, StartedService } from '../model/provider.js';
import { pause } from '../os/pause.js';
import { factsOf } from '../model/outcome.js';
import { stopSpecOf } from '../reconcile/declarations.js';
import type { MachineClock } from '../model/clock.js';
import type { ProgressEvent, ServiceOutcome } from '../model/outcome.js';
import type { UnitEnvironment } from './execute-unit.js';
import { recordExit } from './record-exit.js';
import { runLogTail } from './run-log-tail.js';

/**
 * A service with no `ready` probe counts as started once spawned, so dependents are not held
 * up; but one that exits within its `start.settle` (default 100 ms) of its start (a typo in its
 * arguments, a missing file) is reported as failed with its exit code rather than as a success,
 * and what it left in its process group (a `cmd &` of a shell) is stopped: a failed start leaves
 * nothing running. Its line waits for the verdict, so a start gets one line, `✓` once its settle
 * passed or `✗`, never both. All services share one wait, so the check costs at most the longest
 * settle after the last start.
 */
export class SettleCheck {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly env: UnitEnvironment,
    private readonly services: ReadonlyMap<string, DesiredService>,
    private readonly options: SettleOptions,
  ) {}

  /** Takes a start that just succeeded, as it was made; true when its line now waits for its settle. */
  watch(outcome: ServiceOutcome, started: StartedService | undefined): boolean {
    // A task's exit is its end, judged by its exit code when it comes (execute-unit.ts).
    if (isTask(this.services.get(outcome.service))) return false;
    const settleMs = this.services.get(outcome.service)?.start.settleMs ?? 0;
    if (outcome.status !== 'done' || !outcome.ops.includes('start') || started?.exited === undefined || settleMs <= 0) return false;
    const deadline = Date.parse(started.startedAt) + settleMs;
    const entry: Watched = { outcome, started, deadline, decided: false };
    // An exit after this service's own settle is the supervisor's business, not a failed start.
    // Judged by when the exit was seen, not by when this callback runs; once the line said ✓, it stays.
    void started.exited.then((exit) => {
      if (!entry.decided && (exit.seenAt ?? this.env.time.now()) <= deadline) entry.exit = exit;
    });
    // Decided after the poll phase of the loop turn that passed the deadline: an exit seen in it counts.
    entry.timer = setTimeout(() => setImmediate(() => entry.exit === undefined && this.report(entry)), Math.max(0, deadline - this.env.time.now()));
    this.watched.set(outcome.service, entry);
    return true;
  }

  /** After the last start: waits out the longest settle, then fails the starts that exited within theirs. */
  async finish(outcomes: Map<string, ServiceOutcome>): Promise<void> {
    if (this.watched.size === 0) return;
    await pause(Math.max(0, Math.max(...[...this.watched.values()].map((entry) => entry.deadline)) - this.env.time.now()), this.options.signal);
    await new Promise((resolve) => setImmediate(resolve));
    for (const [name, entry] of this.watched) {
      if (entry.decided) continue;
      const current = this.env.started.get(name);
      // A supervisor may have started the next run meanwhile: that one is not this failure's.
      if (!entry.exit || (current !== undefined && current !== entry.started)) {
        this.report(entry);
        continue;
      }
      entry.decided = true;
      clearTimeout(entry.timer);
      const failed = await this.fail(name, entry.exit, entry);
      outcomes.set(`start:${name}`, failed);
      this.options.onProgress?.({ type: 'end', outcome: failed });
    }
  }

  /** Reports every start still waiting as done, when the run ends before `finish` decided it. */
  release(): void {
    for (const entry of this.watched.values()) this.report(entry);
  }

  private report(entry: Watched): void {
    clearTimeout(entry.timer);
    if (entry.decided) return;
    entry.decided = true;
    this.options.onProgress?.({ type: 'end', outcome: entry.outcome });
  }

  /** Stops what the run left and records its exit (unless a supervisor does), and says how it failed. */
  private async fail(name: string, exit: ExitInfo, entry: Watched): Promise<ServiceOutcome> {
    const reason = describeExit(exit);
    // Under a supervisor (watch, up) the run's exit is its business: it stops what the run left
    // and records the exit. Without one, this check does both.
    if (!this.env.supervise) {
      await stopLeftovers(this.env, name, this.services.get(name), this.options.signal);
      const end = { stoppedByUs: false, exit: { code: exit.code, signal: exit.signal, reason: `${reason} right after it started`, duringStart: true } };
      await this.env.state.update(name, (record) => record && recordExit(record, end, this.env.time));
    }
    const lines = await runLogTail(this.env, name, this.services.get(name), entry.started);
    const said = lines.length > 0 ? `; last lines of its log:\n  ${lines.join('\n  ')}` : '';
    const error = this.options.redact(`${reason} right after it started${said}`);
    const facts = factsOf({ exitCode: exit.code, signal: exit.signal, logTail: lines.map(this.options.redact) });
    return { ...entry.outcome, status: 'failed', error, ...(facts ? { facts } : {}) };
  }
}

interface Watched {
  outcome: ServiceOutcome;
  started: StartedService;
  deadline: number;
  /** Seen within the settle. */
  exit?: ExitInfo;
  timer?: ReturnType<typeof setTimeout>;
  /** Its line was printed: nothing changes it any more. */
  decided: boolean;
}

export interface SettleOptions {
  signal: AbortSignal;
  /** Told of each watched start once decided: `done` when its settle passed, else `failed`. */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Replaces secret values in what is reported and recorded (the log's last lines may print one). */
  redact: (text: string) => string;
}

/** Stops what a run whose leader exited left in its group, as `stop` would (Ctrl+C ends the wait). */
async function stopLeftovers(env: UnitEnvironment, name: string, service: DesiredService | undefined, signal: AbortSignal): Promise<void> {
  const record = env.state.get(name);
  if (record?.pid === undefined) return;
  try {
    const provider = await env.providers.get(record.provider);
    await provider.stop(name, record, stopSpecOf(service, record), { ...env.ctx, signal });
  } catch {
    // A member that outlived SIGKILL, or an interrupted wait: the next `down` finds what is left by
    // its marker (processes that lost their group's leader).
  }
}

/** How long a finished run waits for provider calls still in flight (they were told to abort). */
export const INFLIGHT_GRACE_MS = 10_000;

const realClock: MachineClock = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>) };

/**
 * Waits for the provider calls still in flight so what they did gets recorded (a start that
 * spawned as Ctrl+C came), but not forever: a call that ignores its abort signal (a hung
 * provider whose machine already timed out) must not hold back the run and its summary.
 * True when all settled in time.
 */
export async function waitForInflight(inflight: Iterable<Promise<unknown>>, ms = INFLIGHT_GRACE_MS, clock: MachineClock = realClock): Promise<boolean> {
  let timer: unknown;
  const expired = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([Promise.allSettled([...inflight]).then(() => true as const), expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}
