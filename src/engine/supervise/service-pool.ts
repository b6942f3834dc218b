import { isTask, type Desired, type DesiredService } from '../../model/desired.js';
import { groupExists } from '../../os/group-members.js';
import { signalGroup } from '../../os/runner.js';
import { isRunning } from '../../os/proc-stat.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import { appliedOfStart, type OperationContext, type StartedService } from '../../model/provider.js';
import { withoutServicePrefix } from '../../model/errors.js';
import { describeExit } from '../../providers/probes.js';
import { stopSpecOf } from '../../reconcile/declarations.js';
import { givenUpWords } from '../../reconcile/diff.js';
import { declarationDigests } from '../../reconcile/give-up.js';
import { createServiceActor, initialPhaseOf, type ServiceActor, type UnitEnvironment } from '../execute-unit.js';
import { recordExit } from '../record-exit.js';
import { BUSY } from '../service-machine.js';
import type { Clock } from '../../model/clock.js';
import { systemClock } from '../../os/clock.js';
import type { ServicePool } from '../execute.js';
import type { AppliedService, ObservedService } from '../../model/observed.js';
import type { StateStore } from '../../state/state-store.js';


export type PoolEvent =
  | { type: 'exited'; service: string; code: number | null; signal: string | null; reason?: string }
  | { type: 'restarting'; service: string; attempt: number; maxRestarts: number; delayMs?: number }
  /** `restarts` in a row of `maxRestarts` allowed; `reason`: why the last run or start failed; `starting`: it never got going. */
  | { type: 'gave-up'; service: string; restarts: number; maxRestarts: number; reason: string; starting: boolean }
  /** `again`: it ran before; otherwise a retry got a start that had failed going. */
  | { type: 'running'; service: string; again: boolean }
  /** What a run left in its group could not be stopped: a restart would run beside it. */
  | { type: 'leftovers'; service: string; error: string };

/**
 * The controller's machines, one per service, living across reconcile passes. Runs it starts
 * are its children, so an exit is an EXITED event at once; the machine's restart policy does
 * the rest, and the pool writes restarts and exits to the state file.
 */
export class SupervisedPool implements ServicePool {
  readonly env: UnitEnvironment;
  private readonly trials = new Set<string>();
  private readonly actors = new Map<string, ServiceActor>();
  private readonly configs = new Map<string, string>();
  private desired: Desired;
  private reports: PoolEvent[] = [];
  /** Aborted when the controller begins to close: stops of leftovers are abandoned, not waited for. */
  private readonly closing = new AbortController();
  /** Stops of what ended runs left behind; only `settle` waits for them, not the reconcile passes. */
  private readonly ending = new Set<Promise<void>>();
  private readonly movers = new Set<(name: string) => void>();
  // The watchdog's kills not yet seen as exits, by run: their reason goes with the exit.
  private readonly limitKills = new WeakMap<StartedService, string>();
  // The same for runs it adopted, by service: their end is found by liveness polling.
  private readonly adoptedLimitKills = new Map<string, { pid: number; reason: string }>();

  constructor(
    desired: Desired,
    providers: ProviderRegistry,
    private readonly state: StateStore,
    ctx: Omit<OperationContext, 'signal'>,
    private readonly onEvent: (event: PoolEvent) => void = () => undefined,
    time: Clock = systemClock,
  ) {
    this.desired = desired;
    this.env = {
      providers,
      state,
      ctx,
      inflight: new Set(),
      started: new Map(),
      notes: new Map(),
      supervise: true,
      time,
      onStarted: (name, started) => this.watchExit(name, started),
    };
  }

  /** The file was reloaded: later operations use the new specs. */
  setDesired(desired: Desired): void {
    this.desired = desired;
  }

  service(name: string): DesiredService | undefined {
    // By name, not a search: the ticks of liveness, usage and rotation ask for every running
    // service (a search of 1,000 for each of 1,000 was most of an idle controller's own time).
    if (this.byName?.desired !== this.desired) this.byName = { desired: this.desired, services: new Map(this.desired.services.map((service) => [service.name, service])) };
    return this.byName.services.get(name);
  }

  private byName: { desired: Desired; services: Map<string, DesiredService> } | undefined;

  stateOf(name: string): string | undefined {
    const actor = this.actors.get(name);
    return actor ? String(actor.getSnapshot().value) : undefined;
  }

  /** Tells `listener` the name of every service whose machine moved or was made; the function returned stops it. */
  onMove(listener: (name: string) => void): () => void {
    this.movers.add(listener);
    return () => void this.movers.delete(listener);
  }

  /** An operation is in flight or a restart is pending: passes leave the service to its machine. */
  isBusy(name: string): boolean {
    return this.actors.get(name)?.getSnapshot().hasTag(BUSY) === true;
  }

  /**
   * While on, a run of `name` that exits is not restarted by its policy: the development loop's
   * new start on trial, which waits for the next change when it fails instead of crash-looping.
   */
  trial(name: string, on: boolean): void {
    if (on) this.trials.add(name);
    else this.trials.delete(name);
  }

  /** A run is in progress, or on its way in or out. */
  isRunning(name: string): boolean {
    const snapshot = this.actors.get(name)?.getSnapshot();
    return snapshot !== undefined && (snapshot.hasTag(BUSY) || snapshot.matches('running') || snapshot.matches('waitingReady'));
  }

  actorFor(name: string, observed: ObservedService | undefined): ServiceActor {
    const existing = this.actors.get(name);
    const config = configKey(this.service(name));
    // An idle machine whose restart or timeout settings changed is replaced by a fresh one, and so
    // is one the service itself no longer matches (outOfStep).
    if (existing && (this.configs.get(name) === config || this.isBusy(name)) && !this.outOfStep(name, existing, observed)) return existing;
    existing?.stop();
    const actor = createServiceActor(name, () => this.service(name), observed, this.env);
    this.follow(name, actor);
    actor.start();
    this.actors.set(name, actor);
    this.configs.set(name, config);
    this.moved(name);
    return actor;
  }

  /**
   * An idle machine that stands down (stopped, absent, crashed, failed, completed) while the pass
   * observed its service running, for a service whose runs the pool does not start and watch
   * itself (not `grouped`: a compose or swarm service, a plugin's): someone scaled a stopped swarm
   * stack up, or started a compose service, by hand. The machine still stood `stopped`, so the
   * pass's stop found nothing to do and said it was done, every pass, while it ran on. A fresh
   * machine from what was observed does what the plan says. (The other way, a service that went
   * down while its machine runs, is liveness's: an exit, then the restart policy.)
   */
  private outOfStep(name: string, actor: ServiceActor, observed: ObservedService | undefined): boolean {
    if (!observed || initialPhaseOf(observed) !== 'running' || this.isBusy(name)) return false;
    const named = this.service(name)?.provider ?? this.state.get(name)?.provider;
    const provider = named === undefined ? undefined : this.env.providers.peek?.(named);
    if (!provider || provider.capabilities.grouped) return false;
    const snapshot = actor.getSnapshot();
    return (['stopped', 'absent', 'crashed', 'failed', 'completed'] as const).some((phase) => snapshot.matches(phase));
  }

  /**
   * The service is down because its restart policy decided so (not merely observed so): a crash
   * or a failed start it does not retry (`policy: no`, a clean exit under `on-failure`, restarts
   * used up). Passes leave it alone until its declaration changes.
   */
  leftAlone(name: string): boolean {
    const snapshot = this.actors.get(name)?.getSnapshot();
    if (snapshot?.matches('crashed')) return snapshot.context.gaveUp || snapshot.context.lastExit !== undefined;
    return snapshot?.matches('failed') === true && snapshot.context.startFailure !== undefined;
  }

  /** The service used up restart.maxRestarts. */
  gaveUp(name: string): boolean {
    return this.actors.get(name)?.getSnapshot().context.gaveUp === true;
  }

  /** Why the service is left alone (`gave up after 5 restarts`), or undefined when it is not. */
  leftAloneWhy(name: string): string | undefined {
    const context = this.actors.get(name)?.getSnapshot().context;
    if (!context || !this.leftAlone(name)) return undefined;
    if (context.gaveUp) return givenUpWords(context.restarts);
    if (context.restart.policy === 'no') return 'not restarted (restart.policy is no)';
    return 'not restarted (it exited with code 0; restart.policy is on-failure)';
  }

  /** Whether this controller started the current run (its exit is seen at once) or adopted it. */
  isChild(name: string): boolean {
    return this.env.started.get(name)?.exited !== undefined;
  }

  /** Sends an event to a service's machine, if it has one. */
  send(name: string, event: Parameters<ServiceActor['send']>[0]): void {
    this.actors.get(name)?.send(event);
  }

  /**
   * The watchdog found the run over its memory limit: its whole process group is killed, as the
   * kernel's OOM killer would, and its exit (and the restart its policy leads to) carries
   * `reason`: at once for a run this controller started, when liveness polling finds it gone for
   * one it adopted (`takeLimitKill`). False when there is no live run to kill, or it is being killed.
   */
  killOverLimit(name: string, reason: string): boolean {
    const started = this.env.started.get(name);
    if (started?.exited !== undefined) {
      if (started.pgid === undefined || started.pgid <= 1 || this.limitKills.has(started)) return false;
      this.limitKills.set(started, reason);
      signalGroup(started.pgid, 'SIGKILL');
      return true;
    }
    const record = this.state.get(name);
    if (record?.pid === undefined || record.pgid === undefined || record.pgid <= 1 || this.adoptedLimitKills.get(name)?.pid === record.pid) return false;
    // The record's run, not a pid handed out again since.
    if (!isRunning(record.pid, record.startTicks)) return false;
    this.adoptedLimitKills.set(name, { pid: record.pid, reason });
    signalGroup(record.pgid, 'SIGKILL');
    return true;
  }

  /** The watchdog's reason for the end of adopted run `pid`, once, when it killed it. */
  takeLimitKill(name: string, pid: number | undefined): string | undefined {
    const kill = this.adoptedLimitKills.get(name);
    if (kill === undefined || kill.pid !== pid) return undefined;
    this.adoptedLimitKills.delete(name);
    return kill.reason;
  }

  /** A run that is not the controller's child was found ended (how, nobody can tell, unless the watchdog killed it): reported as its own runs' exits are, then told to its machine. */
  endedUnseen(name: string, limit?: string): void {
    // The watchdog's own kill: how it ended is known after all.
    const how = { code: null, signal: limit === undefined ? null : 'SIGKILL' };
    this.report({ type: 'exited', service: name, ...how, ...(limit === undefined ? {} : { reason: limit }) });
    this.send(name, { type: 'EXITED', ...how });
  }

  /** Every service the pool has a machine for, with its state. */
  entries(): [string, string][] {
    return [...this.actors].map(([name, actor]) => [name, String(actor.getSnapshot().value)]);
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.env.inflight, ...this.ending]);
    await this.state.flush();
  }

  /**
   * The controller is closing: no run's end leads to a restart any more, and stops of leftovers
   * in flight are abandoned. Their records keep the run, so `status` and `down` still see it.
   */
  interrupt(): void {
    this.closing.abort();
  }

  stopAll(): void {
    this.interrupt();
    for (const actor of this.actors.values()) actor.stop();
    this.actors.clear();
  }

  private watchExit(name: string, started: StartedService): void {
    const current = (): boolean => !this.closing.signal.aborted && this.env.started.get(name) === started;
    void started.exited?.then(async (exit) => {
      // A run we stopped ourselves, or one replaced by a newer start, is not a crash. A task's
      // end is its machine's: its wait records how it ended, and nothing restarts a success.
      if (!current() || isTask(this.service(name))) return;
      // The run ends with its leader, as systemd sees a service's main process: what the leader
      // left in its group (`server &` in a shell) is stopped first, so a restart never runs
      // beside the last run's children and nothing is left running that no record names. The
      // record keeps the run until then: `status` and `down` still see the leftovers.
      // The start was recorded at once: the record names the provider that made the run.
      const provider = this.state.get(name)?.provider ?? this.service(name)?.provider;
      if (provider && started.pgid !== undefined && started.pgid > 1 && groupExists(started.pgid)) {
        await this.endLeftovers(name, appliedOfStart(provider, started));
        if (!current()) return;
      }
      this.env.started.delete(name);
      // The machine hears it first: when the leader left nothing behind (the usual crash) and
      // there is no backoff, it spawns the next run within this turn of the event loop, before
      // the report and the disk write below take theirs.
      // A limit's reason: the kernel's OOM killer (the provider read its cgroup), or the watchdog's kill.
      const reason = exit.reason ?? this.limitKills.get(started);
      this.limitKills.delete(started);
      this.report({ type: 'exited', service: name, code: exit.code, signal: exit.signal, ...(reason === undefined ? {} : { reason }) });
      this.actors.get(name)?.send({ type: 'EXITED', code: exit.code, signal: exit.signal, ...(this.trials.has(name) ? { hold: true } : {}) });
      // In memory now (the next start records over it), on disk with the next batched write.
      const end = { stoppedByUs: false, exit: { code: exit.code, signal: exit.signal, reason: reason ?? 'exited' } };
      this.state.record(name, (current) => current && recordExit(current, end, this.env.time));
    });
  }

  /**
   * Stops the members of a run's group that outlived its leader, as `stop` would (signal, wait,
   * SIGKILL): for the controller's children when their leader exits, and for adopted runs of the
   * process provider when polling finds their leader gone (LivenessMonitor). False when the
   * controller closed meanwhile.
   */
  async endLeftovers(name: string, run: AppliedService): Promise<boolean> {
    const service = this.service(name);
    const ending = (async () => {
      const provider = await this.env.providers.get(run.provider);
      await provider.stop(name, run, stopSpecOf(service, this.state.get(name)), { ...this.env.ctx, signal: this.closing.signal });
    })().catch((error: unknown) => {
      if (!this.closing.signal.aborted) this.report({ type: 'leftovers', service: name, error: error instanceof Error ? error.message : String(error) });
    });
    this.ending.add(ending);
    await ending;
    this.ending.delete(ending);
    return !this.closing.signal.aborted;
  }

  /**
   * Reports an event once the current turn of the event loop is done, in order. A restart spawns
   * in that turn (every step before the spawn is synchronous or an already settled promise), so
   * writing "exited" and "restarting" lines never delays it.
   */
  private report(event: PoolEvent): void {
    this.reports.push(event);
    if (this.reports.length > 1) return;
    setImmediate(() => {
      const reports = this.reports;
      this.reports = [];
      for (const queued of reports) this.onEvent(queued);
    });
  }

  private moved(name: string): void {
    for (const listener of this.movers) listener(name);
  }

  private gaveUpEvent(name: string, snapshot: Snapshot): PoolEvent {
    const { restarts, restart, startFailure, lastExit, error } = snapshot.context;
    const starting = snapshot.matches('failed');
    const reason = (starting ? startFailure ?? error : lastExit && describeExit(lastExit)) ?? 'failed';
    return { type: 'gave-up', service: name, restarts, maxRestarts: restart.maxRestarts, reason: withoutServicePrefix(name, reason).split('\n')[0] as string, starting };
  }

  /** Records restarts and give-ups in the state file and reports them. */
  private follow(name: string, actor: ServiceActor): void {
    const initial = actor.getSnapshot();
    let last = { value: String(initial.value), restarts: initial.context.restarts, gaveUp: initial.context.gaveUp };
    let restarting = false;
    let ran = initial.matches('running');
    actor.subscribe((snapshot) => {
      const value = String(snapshot.value);
      const { restarts, gaveUp } = snapshot.context;
      if (value === last.value && restarts === last.restarts && gaveUp === last.gaveUp) return;
      this.moved(name);
      const previous = last;
      last = { value, restarts, gaveUp };
      // Counted by the machine's counter, not by a visit to `backoff`: with a zero backoff the
      // machine passes through it within one step, and subscribers never see it.
      const restarted = restarts > previous.restarts;
      if (restarted) {
        restarting = true;
        this.report({ type: 'restarting', service: name, attempt: restarts, maxRestarts: snapshot.context.restart.maxRestarts });
      }
      if (value === 'running' && restarting) {
        restarting = false;
        this.report({ type: 'running', service: name, again: ran });
      }
      if (value === 'running') ran = true;
      const gaveUpNow = gaveUp && !previous.gaveUp;
      if (gaveUpNow) this.report(this.gaveUpEvent(name, snapshot));
      // The state file counts every restart (like pm2's ↺); the machine counts consecutive ones,
      // which is what a give-up is told in. The declaration it gave up under is kept: a change
      // of any part of it gives the service a new chance.
      if (restarted || gaveUp !== previous.gaveUp) {
        const service = this.service(name);
        const declared = gaveUpNow && service ? { gaveUpAfter: restarts, gaveUpDeclared: declarationDigests(service) } : {};
        this.state.record(name, (current) => current && { ...current, restarts: current.restarts + (restarted ? 1 : 0), gaveUp, ...declared });
      }
    });
  }
}

type Snapshot = ReturnType<ServiceActor['getSnapshot']>;

function configKey(service: DesiredService | undefined): string {
  return JSON.stringify([service?.restart, service?.stop, service?.ready?.timeoutMs]);
}
