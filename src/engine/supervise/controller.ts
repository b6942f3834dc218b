import { basename, relative } from 'node:path';
import { rm } from 'node:fs/promises';
import { digestServiceFiles, redactedVerbose, type Workspace } from '../workspace.js';
import { readStackDetailed, sameInputs, type LoadCacheStore, type ReadStackOptions, type StackInputs } from '../../load/read-stack.js';
import { redactorOf } from '../../config/secrets.js';
import type { Redact } from '../../config/sensitive.js';
import { isScheduled, type Desired, type DesiredService } from '../../model/desired.js';
import { StackError, ExitCode } from '../../model/errors.js';
import { createProviderRegistry, PROVIDERS } from '../../providers/registry.js';
import { executePlan } from '../execute.js';
import type { ApplyOutcome } from '../../model/outcome.js';
import { observeServices } from '../observe.js';
import { planActions } from '../../reconcile/plan.js';
import type { Observed } from '../../model/observed.js';
import type { Plan } from '../../model/plan.js';
import { clearRecordedGiveUps } from '../../state/give-up.js';
import { acquireLock, type HeldLock } from '../../state/lock.js';
import { laterCache, parseCacheFor } from '../../state/parse-cache.js';
import { statePaths } from '../../state/paths.js';
import { StateStore } from '../../state/state-store.js';
import { FileWatcher, watchedPaths } from './file-watcher.js';
import { LivenessMonitor } from './liveness.js';
import { PortWatch } from './port-watch.js';
import { UsageWatch } from './usage-watch.js';
import { MemoryWatchdog } from './memory-watchdog.js';
import { limitMechanism } from '../../os/cgroups.js';
import { monotonicMs } from '../../os/monotonic.js';
import { prepareCommands } from '../../os/runner.js';
import { LogRotation } from './log-rotation.js';
import { notRetried, writePassRecord } from './pass-record.js';
import { SupervisedPool, type PoolEvent } from './service-pool.js';
import { describeExit } from '../../reconcile/idle.js';
import { HandedRequests } from './requests.js';
import { planRestart, type RestartOptions } from '../../reconcile/plan-restart.js';
import { statusRows, type LiveExtras, type StatusRow } from '../../reconcile/status-rows.js';
import type { Applied } from '../../model/observed.js';
import { Exclusive } from './exclusive.js';
import { passMayAct } from './may-act.js';
import { EventHub } from './events.js';
import { EventJournal } from './event-journal.js';
import { redactDeep } from '../../model/redact-deep.js';
import { knownObserved, knownObservedOf } from './known-status.js';
import { groupedIn, readProviderUsage } from '../service-usage.js';
import { StatusChanges } from './status-changes.js';
import { FileNews } from './file-news.js';
import type { ControllerOptions, RunOptions, Snapshot } from './controller-options.js';
import { Schedules, type ScheduleNews, type ScheduledEnd } from './schedules.js';
import { DevLoop, type DevNews } from './dev-loop.js';
import { DevWatch } from './dev-watch.js';
import type { BuildResult } from '../../model/provider.js';
import { isRunningPhase } from '../../reconcile/diff.js';

export type { ControllerOptions, PassResult, RunOptions, Snapshot } from './controller-options.js';

/** How old a load of stack.yaml may be before a pass reads the file again whatever stat says of it. */
const RELOAD_AT_LEAST_EVERY_MS = 60_000;

/**
 * The reconcile loop (`stack watch`, `stack up`): holds the lock, reconciles once, then again on
 * every change of stack.yaml or a file it references, on an interval (drift), and keeps one
 * supervised machine per service. Level-based: every pass observes from scratch, and loads stack.yaml afresh
 * unless stat finds every file the last load read unchanged (the first pass and the interval's).
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
  private readonly schedules: Schedules;
  private readonly dev: DevLoop;
  private readonly devWatch: DevWatch;
  private readonly abort = new AbortController();
  private closed = false;
  /** The log markers being written, in the order their events came. */
  private marks: Promise<void> = Promise.resolve();
  private readonly requests: HandedRequests;
  /** Services whose start failed in a pass and that their machine retries. */
  private readonly retrying = new Set<string>();
  private readonly closers: (() => Promise<void>)[] = [];
  /** Counts the moves of machines and the changes of records: what knownStatus's kept rows are checked against. */
  private statusChanges = 0;
  private rowsKept?: { inputs: readonly unknown[]; rows: StatusRow[] };
  /** What the last load of stack.yaml read, and when; undefined until one succeeds, and after one failed. */
  private loadedFrom?: { inputs: StackInputs; at: number };

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
    this.dev = new DevLoop({
      desired: () => this.desired,
      build: (service, signal) => this.devBuild(service, signal),
      restart: (names, reason, stillWanted) => this.devRestart(names, reason, stillWanted),
      hold: (name) => this.pool.send(name, { type: 'STOP' }),
      told: (news) => this.heardDev(news),
    });
    this.devWatch = new DevWatch(workspace.desired.root, (name, paths) => void this.dev.changed(name, paths), this.say);
    this.schedules = new Schedules({
      time: pool.env.time,
      isRunning: (name) => this.pool.isRunning(name),
      run: (name, replace) => this.runScheduled(name, replace),
      told: (news) => this.heardSchedule(news),
    });
    this.requests = new HandedRequests(workspace.paths.dir, (reason) => void this.request(reason));
    // Live status: a machine that moves or a record that changes may change a phase or a probe result.
    const changes = new StatusChanges(
      (names) => (names ? knownObservedOf(names, this.state, this.pool) : knownObserved(this.desired, this.state.all(), this.pool)),
      (event) => this.events.emit(event),
    );
    pool.onMove((name) => {
      this.statusChanges += 1;
      changes.poke(name);
    });
    state.watch((name) => {
      this.statusChanges += 1;
      changes.poke(name);
    });
  }

  /** Loads the file (exit 5 when invalid), takes the lock (exit 7), calls `serve` (the API), reconciles once. */
  static async start(options: ControllerOptions, serve?: (controller: Controller) => Promise<void>): Promise<Controller> {
    const { desired, inputs } = await readStackDetailed(options.file, loadOptionsFor(options.file));
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
      // The first pass reads stack.yaml again only if it changed since (a load of 1,000 services is 100–300 ms).
      controller.loadedFrom = { inputs, at: monotonicMs() };
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
    this.schedules.stop();
    this.dev.stop();
    await this.devWatch.close();
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

  /**
   * stack.yaml loaded afresh (made the controller's; exit 5 or 3 thrown) and every service
   * observed: what a plan starts from. Inside `exclusive`. With `unlessSame` (the first pass and the interval's
   * passes), the file is not read again when nothing the last load read has changed since (each
   * file's stat, each working folder): with 1,000 services a load is 100–300 ms of the
   * controller's CPU, and requests to its API waited for it every 5 s. A load older than a minute
   * is done again all the same: a file system with coarse times could show an edit of the same
   * size no watch saw as unchanged.
   */
  async refresh(signal: AbortSignal, options: { unlessSame?: boolean } = {}): Promise<Snapshot> {
    const last = this.loadedFrom;
    const same = options.unlessSame && last !== undefined && monotonicMs() - last.at < RELOAD_AT_LEAST_EVERY_MS && (await sameInputs(last.inputs));
    const desired = same ? this.desired : await this.load();
    this.desired = desired;
    this.news.loaded(desired);
    this.pool.setDesired(desired);
    this.schedules.update(desired.services);
    this.dev.update(desired);
    const workspace = this.workspaceNow;
    // Sealed before any spec is computed (recordDeclarations reads them).
    await digestServiceFiles(workspace);
    this.state.recordDeclarations(desired.services);
    const applied = this.state.all();
    const observed = await observeServices(desired, applied, workspace.providers, { ...workspace.ctx, signal });
    for (const service of desired.services) if (service.enabled) this.pool.actorFor(service.name, observed.get(service.name));
    return { desired, applied, observed };
  }

  /** stack.yaml read (exit 5 or 3 thrown), what it read kept for `refresh`'s comparison. */
  private async load(): Promise<Desired> {
    // Cleared first: after a load that failed, the next pass reads again whatever the files say.
    this.loadedFrom = undefined;
    const at = monotonicMs();
    const { desired, inputs } = await readStackDetailed(this.options.file, loadOptionsFor(this.options.file));
    this.loadedFrom = { inputs, at };
    return desired;
  }

  /** `stack restart` of `names`: their give-ups cleared, a machine each, stop then start (or rolling). Inside `exclusive`. */
  async planRestart(names: readonly string[], observed: Observed, options: RestartOptions = {}): Promise<Plan> {
    await clearRecordedGiveUps(this.state, names);
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

  /** The secrets stack.yaml declares now, replaced in a text (nothing to replace: `redactNothing`, which JSON answers skip). */
  get redact(): Redact {
    return redactorOf(this.desired);
  }

  /**
   * `status` as the controller knows it (GET /v1/status): no probe, no /proc scan (port owners,
   * CPU and memory as last read on their ticks), in two parts. `rows` are kept, the same array,
   * until what they are made of changes (a machine moves, a record changes, the port tick finds
   * other owners, stack.yaml loads); `live` gives CPU, memory and uptime as of now, the columns
   * each row ends with (withLiveColumns). With 1,000 services, making the rows was ~7 ms of the
   * controller's ~12 ms answer.
   */
  knownStatus(): { rows: readonly StatusRow[]; live: LiveExtras } {
    const inputs = [this.desired, this.statusChanges, this.ports.known, JSON.stringify([...this.schedules.nextRuns(), ...this.dev.waiting()]), limitMechanism().name];
    if (!this.rowsKept || inputs.some((input, i) => input !== this.rowsKept?.inputs[i])) {
      const applied = this.state.all();
      const rows = statusRows(this.desired, knownObserved(this.desired, applied, this.pool), applied, { portOwners: this.ports.known, schedules: this.schedules.nextRuns(), waiting: this.dev.waiting(), mechanism: limitMechanism().name });
      this.rowsKept = { inputs, rows };
    }
    return { rows: this.rowsKept.rows, live: { usage: this.usage.known, now: this.pool.env.time.now() } };
  }

  /** `names` and what they depend on, observed: what a restart of them plans from, without looking at every service. */
  private async observeNear(names: readonly string[]): Promise<Observed> {
    const near = new Set(names.flatMap((name) => [name, ...(this.desired.services.find((each) => each.name === name)?.dependsOn ?? [])]));
    const looked = { ...this.desired, services: this.desired.services.filter((each) => near.has(each.name)) };
    const records = new Map([...this.state.all()].filter(([each]) => near.has(each)));
    const workspace = this.workspaceNow;
    return observeServices(looked, records, workspace.providers, { ...workspace.ctx, signal: this.abort.signal });
  }

  /** A watched service's build (`build:`, a compose image), told as it begins; undefined when it has none. */
  private async devBuild(service: DesiredService, signal: AbortSignal): Promise<BuildResult | undefined> {
    const workspace = this.workspaceNow;
    const provider = await workspace.providers.get(service.provider);
    const building = provider.build?.(service, { ...workspace.ctx, signal: AbortSignal.any([signal, this.abort.signal]) });
    if (!building) return undefined;
    this.heardDev({ what: 'building', service: service.name });
    return building;
  }

  /** The development loop's restart: `stack restart` of `names`, unless a newer change came while it waited for its turn. */
  private devRestart(names: string[], reason: string, stillWanted: () => boolean): Promise<ApplyOutcome | undefined> {
    return this.exclusive(async () => {
      if (!stillWanted()) return undefined;
      const observed = await this.observeNear(names);
      // On trial until the run is judged: a crash right after the start is the new code's, and waits for the next change.
      for (const name of names) this.pool.trial(name, true);
      try {
        return await this.execute(await this.planRestart(names, observed, { reason }), observed);
      } finally {
        for (const name of names) this.pool.trial(name, false);
      }
    }).catch(() => undefined);
  }

  /** What the development loop did: an event, a line of the controller's log, and where it is stack's, of the service's. */
  private heardDev(news: DevNews): void {
    if (this.closed) return;
    this.events.emit({ type: 'dev', ...news });
    const line = devLineOf(news);
    // The build's own last lines go to the controller's log and the event, not into the service's log.
    const output = news.what === 'build-failed' && news.output.length > 0 ? `; last lines:\n  ${news.output.join('\n  ')}` : '';
    this.say(line + output);
    const at = new Date(this.pool.env.time.now());
    this.marks = this.marks.then(() => this.markText(news.service, `── ${line} ──`, at));
  }

  /**
   * A scheduled task's run (its schedule came due): stop-and-start as `stack restart` plans it,
   * one of the queue's turns until it has spawned, so a long run holds up no pass; then its end.
   */
  private async runScheduled(name: string, replace: boolean): Promise<ScheduledEnd> {
    let running: Promise<ApplyOutcome> | undefined;
    const notRun = await this.exclusive(async (): Promise<string | undefined> => {
      const service = this.desired.services.find((each) => each.name === name);
      if (!service?.enabled || service.state !== 'running' || !isScheduled(service)) return 'it is no longer scheduled';
      // The task and what it depends on, not every service: a thousand of them may be scheduled.
      const observed = await this.observeNear([name]);
      if (!replace && isRunningPhase(observed.get(name)?.phase ?? 'absent')) return 'its last run has not ended';
      const plan = await this.planRestart([name], observed, { reason: `schedule ${service.task?.schedule?.text ?? ''}` });
      let spawned = (): void => undefined;
      const spawn = new Promise<void>((resolve) => (spawned = resolve));
      running = this.execute(plan, observed, { signal: this.abort.signal, onSpawned: () => spawned() });
      await Promise.race([spawn, running]);
      return undefined;
    }).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    if (notRun !== undefined || running === undefined) return { ran: false, reason: notRun ?? 'it did not start' };
    // Its start's outcome: a replacing run's plan stops the last run first.
    const outcome = (await running).services.find((each) => each.service === name && each.ops.includes('start'));
    switch (outcome?.status) {
      case 'done':
        return { ran: true, ok: true };
      case 'skipped':
        return { ran: false, reason: outcome.error ?? 'it was skipped' };
      case 'failed':
        return { ran: true, ok: false, reason: withoutName(name, outcome.error?.split('\n')[0] ?? 'it failed') };
      default:
        // The controller is stopping: the run goes on without it, and a later one records its end.
        return { ran: false, reason: 'the controller stopped' };
    }
  }

  /** What a schedule did, told as an event and, where the run's log is stack's, as a line of it. */
  private heardSchedule(news: ScheduleNews): void {
    // What a closing controller's schedules could not do is no news.
    if (this.closed) return;
    this.events.emit({ type: 'schedule', ...news });
    const text = scheduleMarkerOf(news);
    if (text === undefined) return;
    const at = new Date(this.pool.env.time.now());
    this.marks = this.marks.then(() => this.markText(news.service, text, at));
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
    if (text !== undefined) await this.markText(event.service, text, at);
  }

  private async markText(name: string, text: string, at: Date): Promise<void> {
    const service = this.desired.services.find((each) => each.name === name);
    if (!service) return;
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
      snapshot = await this.refresh(this.abort.signal, { unlessSame: reason === 'interval' || reason === 'start' });
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
    // A watched service whose new start failed waits for the next change, not for a pass.
    const actions = plan.actions.filter((action) => passMayAct(action, this.pool, desired, applied.get(action.service)) && !(action.op === 'start' && this.dev.isHeld(action.service)));
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
    await this.devWatch.update(desired.services).catch((error: unknown) => this.say(`watch: ${error instanceof Error ? error.message : String(error)}`));
    // A save's build must not wait for the module that runs it.
    if (desired.services.some((service) => service.dev?.build !== undefined)) prepareCommands();
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
      ...(run?.onSpawned ? { onSpawned: run.onSpawned } : {}),
    });
    for (const service of outcome.services) if (service.status === 'failed' && this.pool.isBusy(service.service)) this.retrying.add(service.service);
    return outcome;
  }
}

/** `web: src/a.ts changed`, `web: build failed: exited with code 2`: the controller's log and the service's. */
function devLineOf(news: DevNews): string {
  switch (news.what) {
    case 'changed':
      return `${news.service}: changed: ${news.paths.length > 3 ? `${news.paths.slice(0, 3).join(', ')} and ${news.paths.length - 3} more` : news.paths.join(', ')}`;
    case 'building':
      return `${news.service}: building`;
    case 'build-failed':
      return `${news.service}: build failed: ${news.reason}; the running process is kept`;
    case 'restarted':
      return `${news.service}: restarted${news.with.length > 0 ? ` with ${news.with.join(', ')}` : ''}`;
    case 'start-failed':
      return `${news.service}: its new start failed: ${news.reason}; waiting for the next change`;
  }
}

/** `backup: task failed: …` without the name in front (the line names it already). */
function withoutName(name: string, message: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

/** The log's line for what a schedule did, where the run's own lines do not say it: `── backup: a scheduled run was skipped: … ──`. */
function scheduleMarkerOf(news: ScheduleNews): string | undefined {
  const name = news.service;
  switch (news.what) {
    case 'skipped':
      return `── ${name}: a scheduled run was skipped: ${news.reason} ──`;
    case 'queued':
      return `── ${name}: a scheduled run waits for the last one to end ──`;
    case 'replaced':
      return `── ${name}: a scheduled run replaces the one still going ──`;
    case 'ended':
      return news.ok ? `── ${name} completed ──` : `── ${name} failed${news.reason ? `: ${news.reason}` : ''} ──`;
    default:
      return undefined;
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

/** How long after a load the controller updates the parse cache (laterCache): past the acting on it. */
const CACHE_UPDATE_DELAY_MS = 1000;
const cacheOf = new Map<string, LoadCacheStore | undefined>();

/**
 * How the controller loads stack.yaml: with the parse cache the CLI keeps (state/parse-cache.ts),
 * so a text one of them loaded is not parsed and validated again by the other (after an edit
 * verb, the CLI's next command, the controller's pass on the file's change; one YAML parse of a
 * stack of 1,000 services is ~150 ms in the controller, without TurboFan). The cache is updated
 * a second after the load, not before the services it names are started.
 */
function loadOptionsFor(file: string): ReadStackOptions {
  if (!cacheOf.has(file)) {
    const store = parseCacheFor(file, process.env);
    cacheOf.set(file, store && laterCache(store, CACHE_UPDATE_DELAY_MS));
  }
  const cache = cacheOf.get(file);
  return { providers: PROVIDERS, ...(cache ? { cache } : {}) };
}
