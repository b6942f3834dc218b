import { basename, relative } from 'node:path';
import { rm } from 'node:fs/promises';
import { digestServiceFiles, redactedVerbose, type Workspace } from '../workspace.js';
import { readStack } from '../../load/read-stack.js';
import { redactorOf } from '../../config/secrets.js';
import type { Redact } from '../../config/sensitive.js';
import type { Desired } from '../../model/desired.js';
import { StackError, ExitCode } from '../../model/errors.js';
import { createProviderRegistry, PROVIDERS } from '../../providers/registry.js';
import { executePlan } from '../execute.js';
import type { ApplyOutcome } from '../../model/outcome.js';
import { observeServices } from '../observe.js';
import { planActions } from '../../reconcile/plan.js';
import type { Observed } from '../../model/observed.js';
import type { Plan } from '../../model/plan.js';
import { withoutGiveUp } from '../../state/give-up.js';
import { acquireLock, type HeldLock } from '../../state/lock.js';
import { statePaths } from '../../state/paths.js';
import { StateStore } from '../../state/state-store.js';
import { FileWatcher, watchedPaths } from './file-watcher.js';
import { LivenessMonitor } from './liveness.js';
import { PortWatch } from './port-watch.js';
import { UsageWatch } from './usage-watch.js';
import { MemoryWatchdog } from './memory-watchdog.js';
import { limitMechanism } from '../../os/cgroups.js';
import { LogRotation } from './log-rotation.js';
import { notRetried, writePassRecord } from './pass-record.js';
import { SupervisedPool, type PoolEvent } from './service-pool.js';
import { describeExit } from '../../reconcile/idle.js';
import { HandedRequests } from './requests.js';
import { planRestart, type RestartOptions } from '../../reconcile/plan-restart.js';
import { statusRows, type StatusRow } from '../../reconcile/status-rows.js';
import type { Applied } from '../../model/observed.js';
import { Exclusive } from './exclusive.js';
import { passMayAct } from './may-act.js';
import { EventHub } from './events.js';
import { EventJournal } from './event-journal.js';
import { redactDeep } from '../../model/redact-deep.js';
import { knownObserved } from './known-status.js';
import { groupedIn, readProviderUsage } from '../service-usage.js';
import { StatusChanges } from './status-changes.js';
import { FileNews } from './file-news.js';
import type { ControllerOptions, RunOptions, Snapshot } from './controller-options.js';

export type { ControllerOptions, PassResult, RunOptions, Snapshot } from './controller-options.js';

/**
 * The reconcile loop (`stack watch`, `stack up`): holds the lock, reconciles once, then again on
 * every change of stack.yaml or a file it references, on an interval (drift), and keeps one
 * supervised machine per service. Level-based: every pass loads and observes from scratch.
 * Passes and the runs its API asks for (`exclusive`) take turns: never two at once.
 */
export class Controller {
  /** What happens, as it happens: the machines' events and the controller's own (`GET /v1/events`). */
  readonly events: EventHub;
  private desired: Desired;
  private passes?: Promise<void>;
  private again?: string;
  private timer?: NodeJS.Timeout;
  private readonly queue = new Exclusive();
  private readonly watcher: FileWatcher;
  private readonly liveness: LivenessMonitor;
  private readonly ports: PortWatch;
  private readonly usage: UsageWatch;
  private readonly logRotation: LogRotation;
  private readonly abort = new AbortController();
  private closed = false;
  /** The log markers being written, in the order their events came. */
  private marks: Promise<void> = Promise.resolve();
  private readonly requests: HandedRequests;
  /** Services whose start failed in a pass and that their machine retries. */
  private readonly retrying = new Set<string>();
  private readonly closers: (() => Promise<void>)[] = [];

  /** Lines for the log, the file's secrets as of now replaced (a liveness detail can quote a plugin's output). */
  readonly say = (line: string): void => this.options.log(this.workspace.ctx.redact(line));
  private readonly news: FileNews;

  private constructor(
    private readonly options: ControllerOptions,
    private readonly workspace: Workspace,
    private readonly lock: HeldLock,
    private readonly state: StateStore,
    readonly pool: SupervisedPool,
    /** The events kept (`GET /v1/events?since=`), on disk in `.stack/events.log`. */
    readonly journal: EventJournal,
  ) {
    this.desired = workspace.desired;
    this.events = new EventHub(() => pool.env.time.nowIso());
    this.events.listen((event, at) => journal.record(redactDeep(event, workspace.ctx.redact), at));
    this.news = new FileNews(this.say, (event) => this.events.emit(event));
    this.watcher = new FileWatcher((paths) => this.changed(paths), undefined, this.say);
    this.liveness = new LivenessMonitor(pool, workspace, this.say);
    this.ports = new PortWatch(() => ({ desired: this.desired, applied: this.state.all(), observed: knownObserved(this.desired, this.state.all(), this.pool) }), workspace.ctx.redact);
    this.usage = new UsageWatch(
      () => ({ applied: this.state.all(), observed: knownObserved(this.desired, this.state.all(), this.pool), redact: this.workspaceNow.ctx.redact }),
      groupedIn(workspace.providers),
      (view, signal) => readProviderUsage(this.desired, view, workspace.providers, { ...this.workspaceNow.ctx, signal }),
      new MemoryWatchdog(() => this.desired, limitMechanism().name === 'watchdog', (service, reason) => pool.killOverLimit(service, reason)),
    );
    this.logRotation = new LogRotation(pool, workspace, this.say);
    this.requests = new HandedRequests(workspace.paths.dir, (reason) => void this.request(reason));
    // Live status: a machine that moves or a record that changes may change a phase or a probe result.
    const changes = new StatusChanges(() => knownObserved(this.desired, this.state.all(), this.pool), (event) => this.events.emit(event));
    pool.onMove(() => changes.poke());
    state.watch(() => changes.poke());
  }

  /** Loads the file (exit 5 when invalid), takes the lock (exit 7), calls `serve` (the API), reconciles once. */
  static async start(options: ControllerOptions, serve?: (controller: Controller) => Promise<void>): Promise<Controller> {
    const desired = await readStack(options.file, { providers: PROVIDERS });
    const paths = statePaths(desired.root);
    const lock = await acquireLock(paths.lockFile, { command: options.command });
    const made: { controller?: Controller } = {};
    try {
      if (lock.tookOverFrom) options.log(`took over the lock of pid ${lock.tookOverFrom.pid}, which is no longer running`);
      const state = await StateStore.open(paths.stateFile, desired.project, basename(desired.file));
      // Secrets change with the file: what the pool and liveness print redacts the current ones.
      const redact: Redact = (text, cut) => redactorOf(controller.current)(text, cut);
      const workspace: Workspace = { desired, paths, providers: createProviderRegistry(), ctx: { root: desired.root, stateDir: paths.dir, verbose: redactedVerbose(desired, options.verbose), redact } };
      const pool = new SupervisedPool(desired, workspace.providers, state, workspace.ctx, (event) => made.controller?.heard(event), options.time);
      const journal = await EventJournal.open(paths.eventsFile, options.log);
      const controller = new Controller(options, workspace, lock, state, pool, journal);
      made.controller = controller;
      options.signal?.addEventListener('abort', () => controller.abort.abort(), { once: true });
      await serve?.(controller);
      await controller.request('start');
      await controller.watcher.update(await watchedPaths(options.file, desired, workspace.providers));
      controller.timer = setInterval(() => void controller.request('interval'), options.intervalMs);
      controller.liveness.start();
      controller.ports.start();
      controller.usage.start();
      controller.logRotation.start();
      controller.requests.start();
      return controller;
    } catch (error) {
      for (const close of made.controller?.closers.splice(0) ?? []) await close().catch(() => undefined);
      await lock.release();
      throw error;
    }
  }

  get current(): Desired {
    return this.desired;
  }

  /** Aborted once the controller begins to close. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Asks for a pass; passes never overlap, and requests meanwhile fold into one more pass. */
  request(reason: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.again = reason;
    this.passes ??= this.queue.run(async () => {
      for (;;) {
        const next = this.again;
        // Cleared in the same turn as the last look: a request from now on starts a new turn.
        if (!next || this.closed) return void (this.passes = undefined);
        this.again = undefined;
        try {
          await this.pass(next);
        } catch (error) {
          // One failed pass (a compose file gone, a full disk) must not end supervision.
          this.say(`reconcile failed (${next}): ${error instanceof Error ? error.message : String(error)}; retrying on the next change or interval`);
        }
      }
    });
    return this.passes;
  }

  /** Runs `work` when no pass and no other run acts on the services, and none does until it ends. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.closed) throw new StackError(ExitCode.actionFailed, 'the controller is stopping');
      return work();
    });
  }

  /** Called as the controller closes, before it waits for what is in flight (the API's server). */
  onClose(close: () => Promise<void>): void {
    this.closers.push(close);
  }

  /** Stops watching. Services keep running unless the caller stops them afterwards. */
  async close(options: { keepLock?: boolean } = {}): Promise<void> {
    this.closed = true;
    // What is in flight is interrupted (and recorded), not waited for.
    this.abort.abort();
    this.pool.interrupt();
    if (this.timer) clearInterval(this.timer);
    this.requests.stop();
    this.liveness.stop();
    this.ports.stop();
    this.usage.stop();
    for (const close of this.closers.splice(0)) await close().catch(() => undefined);
    await this.logRotation.stop();
    await this.watcher.close();
    await this.queue.run(async () => undefined);
    await this.pool.settle();
    this.pool.stopAll();
    await this.marks;
    await rm(this.statusFile, { force: true });
    await this.journal.close();
    if (!options.keepLock) await this.lock.release();
  }

  async releaseLock(): Promise<void> {
    await this.lock.release();
  }

  get workspaceNow(): Workspace {
    // Secrets can change with the file: --verbose redacts the current ones.
    const ctx = { ...this.workspace.ctx, verbose: redactedVerbose(this.desired, this.options.verbose) };
    return { ...this.workspace, desired: this.desired, ctx };
  }

  /** What the controller recorded as applied, as it holds it now. */
  applied(): Applied {
    return this.state.all();
  }

  /** stack.yaml loaded afresh (made the controller's; exit 5 or 3 thrown) and every service observed: what a plan starts from. Inside `exclusive`. */
  async refresh(signal: AbortSignal): Promise<Snapshot> {
    const desired = await readStack(this.options.file, { providers: PROVIDERS });
    this.desired = desired;
    this.news.loaded(desired);
    this.pool.setDesired(desired);
    const workspace = this.workspaceNow;
    // Sealed before any spec is computed (recordDeclarations reads them).
    await digestServiceFiles(workspace);
    this.state.recordDeclarations(desired.services);
    const applied = this.state.all();
    const observed = await observeServices(desired, applied, workspace.providers, { ...workspace.ctx, signal });
    for (const service of desired.services) if (service.enabled) this.pool.actorFor(service.name, observed.get(service.name));
    return { desired, applied, observed };
  }

  /** `stack restart` of `names`: their give-ups cleared, a machine each, stop then start (or rolling). Inside `exclusive`. */
  async planRestart(names: readonly string[], observed: Observed, options: RestartOptions = {}): Promise<Plan> {
    for (const name of names) await this.state.update(name, withoutGiveUp);
    for (const name of names) this.pool.actorFor(name, observed.get(name));
    return planRestart(this.desired, observed, names, options);
  }

  /** Carries out a plan on the controller's machines (inside `exclusive`), as a pass would, and says whether it was recorded. */
  async carryOut(plan: Plan, observed: Observed, run: RunOptions): Promise<ApplyOutcome> {
    const outcome = await this.execute(plan, observed, run);
    await this.state.flush().catch(() => undefined);
    const lost = this.state.unrecorded();
    return lost ? { ...outcome, unrecorded: lost.message } : outcome;
  }

  /** Why stack.yaml did not load at the last try (the last good file stays in force); undefined when it loads. */
  get stackFileError(): string | undefined {
    return this.news.notLoading;
  }

  /** `status` as the controller knows it (GET /v1/status): no probe, no /proc scan (port owners, CPU and memory as last read on their ticks). */
  knownStatus(): StatusRow[] {
    const applied = this.state.all();
    return statusRows(this.desired, knownObserved(this.desired, applied, this.pool), applied, { portOwners: this.ports.known, usage: this.usage.known, now: this.pool.env.time.now(), mechanism: limitMechanism().name });
  }

  private get statusFile(): string {
    return `${this.workspace.paths.dir}/controller.json`;
  }

  private changed(paths: string[]): void {
    const names = paths.map((path) => relative(this.desired.root, path) || path);
    this.events.emit({ type: 'file-changed', paths: names });
    void this.request(`changed: ${paths.map((path) => path.split('/').pop()).join(', ')}`);
  }

  /**
   * A machine's event, told (a give-up's reason can quote a probe's URL: redacted). A failed start
   * a retry got running has a pass of its own: what needs it was skipped and starts now.
   */
  private heard(event: PoolEvent): void {
    // One after another, so the log has them in the order they happened, each at its own time.
    const at = new Date(this.pool.env.time.now());
    this.marks = this.marks.then(() => this.markLog(event, at));
    this.options.onPoolEvent?.(event.type === 'gave-up' ? { ...event, reason: redactorOf(this.desired)(event.reason) } : event);
    this.events.emit(event);
    if (event.type === 'gave-up') this.retrying.delete(event.service);
    if (event.type === 'running' && this.retrying.delete(event.service)) void this.request(`${event.service} started on a retry`);
  }

  /** Exits, restarts and give-ups as lines of the service's own log, where stack keeps it (`stack logs` shows them in place). */
  private async markLog(event: PoolEvent, at: Date): Promise<void> {
    const text = markerOf(event);
    const service = this.desired.services.find((each) => each.name === event.service);
    if (text === undefined || !service) return;
    const workspace = this.workspaceNow;
    const provider = await workspace.providers.get(service.provider).catch(() => undefined);
    await provider?.mark?.(service.name, text, workspace.ctx, at).catch(() => undefined);
  }

  private async pass(reason: string): Promise<void> {
    // `stack restart` handed over by another process: stop then start, clearing a give-up.
    await this.requests.serve(async (names) => {
      const workspace = this.workspaceNow;
      const observed = await observeServices(this.desired, this.state.all(), workspace.providers, { ...workspace.ctx, signal: this.abort.signal });
      return this.execute(await this.planRestart(names, observed), observed);
    });
    let snapshot: Snapshot;
    try {
      snapshot = await this.refresh(this.abort.signal);
    } catch (error) {
      if (!(error instanceof StackError) || error.code !== ExitCode.invalidConfig && error.code !== ExitCode.noStackFile) throw error;
      // A typo never tears anything down: the last good file stays in force. A folder that went
      // away with the file is watched again once it is back.
      await this.watcher.update(await watchedPaths(this.options.file, this.desired, this.workspaceNow.providers)).catch(() => undefined);
      this.news.notLoaded(error);
      this.options.onPass?.({ reason, invalid: error, converged: false });
      return;
    }
    const { desired, applied, observed } = snapshot;
    const plan = planActions(desired, observed, applied);
    const actions = plan.actions.filter((action) => passMayAct(action, this.pool, desired, applied.get(action.service)));
    // An interval pass that finds nothing to do is not an event: the stream would tick.
    const told = reason !== 'interval' || actions.length > 0;
    if (told) this.events.emit({ type: 'plan', reason, actions: actions.map((action) => `${action.op} ${action.service}`), blocked: plan.blocked.map((entry) => entry.service) });
    let outcome: ApplyOutcome | undefined;
    if (actions.length > 0) {
      this.options.log(`reconciling (${reason}): ${actions.map((action) => `${action.op} ${action.service}`).join(', ')}`);
      outcome = await this.execute({ ...plan, actions }, observed);
      // What started or stopped listens now, or no longer: status says so at once.
      await this.ports.refresh();
    }
    await this.watcher.update(await watchedPaths(this.options.file, desired, this.workspaceNow.providers)).catch(() => undefined);
    const converged = (outcome?.failed ?? 0) === 0 && plan.blocked.length === 0;
    const failed = outcome?.services.filter((s) => s.status === 'failed').map((s) => ({ service: s.service, error: s.error })) ?? [];
    if (told) this.events.emit({ type: 'reconciled', reason, converged, failed });
    await writePassRecord(this.statusFile, { pid: process.pid, command: this.options.command, at: this.pool.env.time.nowIso(), reason, converged, failed, notRetried: notRetried(this.pool, failed, plan.blocked) });
    this.options.onPass?.({ reason, outcome, converged });
  }

  /** Runs a plan on the controller's own machines, so supervision carries on across runs. */
  private async execute(plan: Plan, observed: Observed, run?: RunOptions): Promise<ApplyOutcome> {
    const workspace = this.workspaceNow;
    const outcome = await executePlan({
      desired: this.desired,
      plan,
      observed,
      state: this.state,
      providers: workspace.providers,
      ctx: run?.removeVolumes ? { ...workspace.ctx, removeVolumes: true } : workspace.ctx,
      parallel: this.options.parallel,
      signal: run ? AbortSignal.any([this.abort.signal, run.signal]) : this.abort.signal,
      onProgress: (event) => {
        this.options.onProgress?.(event);
        run?.onProgress?.(event);
      },
      pool: this.pool,
    });
    for (const service of outcome.services) if (service.status === 'failed' && this.pool.isBusy(service.service)) this.retrying.add(service.service);
    return outcome;
  }
}

/** The log's line for a machine's event: `── web exited with code 1 ──`. */
function markerOf(event: PoolEvent): string | undefined {
  const name = event.service;
  switch (event.type) {
    case 'exited':
      return `── ${name} ${describeExit(event)} ──`;
    case 'restarting':
      return `── ${name} restarting (restart ${event.attempt}${event.maxRestarts > 0 ? ` of ${event.maxRestarts}` : ''}) ──`;
    case 'gave-up':
      return `── ${name} given up after ${event.restarts} restarts: ${event.reason} ──`;
    default:
      return undefined;
  }
}
