import { basename } from 'node:path';
import { rm } from 'node:fs/promises';
import { digestServiceFiles, redactedVerbose, type Workspace } from '../workspace.js';
import { formatIssue } from '../../config/issues.js';
import { readStack } from '../../load/read-stack.js';
import { redactorOf } from '../../config/secrets.js';
import type { Redact } from '../../config/sensitive.js';
import type { Desired } from '../../model/desired.js';
import type { Clock } from '../../model/clock.js';
import { StackError, ExitCode } from '../../model/errors.js';
import { createProviderRegistry, PROVIDERS } from '../../providers/registry.js';
import { executePlan } from '../execute.js';
import type { ApplyOutcome, ProgressEvent } from '../../model/outcome.js';
import { observeServices } from '../observe.js';
import { planActions } from '../../reconcile/plan.js';
import { changedSinceGiveUp } from '../../reconcile/give-up.js';
import { recordedAs, specOf } from '../../reconcile/spec.js';
import type { Observed } from '../../model/observed.js';
import type { Action, Plan } from '../../model/plan.js';
import { withoutGiveUp } from '../../state/give-up.js';
import { acquireLock, type HeldLock } from '../../state/lock.js';
import { statePaths } from '../../state/paths.js';
import { StateStore } from '../../state/state-store.js';
import { FileWatcher, watchedPaths } from './file-watcher.js';
import { LivenessMonitor } from './liveness.js';
import { LogRotation } from './log-rotation.js';
import { notRetried, writePassRecord } from './pass-record.js';
import { SupervisedPool, type PoolEvent } from './service-pool.js';
import { answerRequest, takeRequests, type ControllerRequest } from './requests.js';
import { planRestart } from '../../reconcile/plan-restart.js';
import { statusRows, type StatusRow } from '../../reconcile/status-rows.js';
import type { ObservedService, Phase } from '../../model/observed.js';
import { signalProcess } from '../../os/signal.js';
import { API_SOCKET, ApiServer } from './api-server.js';

/** sun_path holds 108 bytes on Linux, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

export interface ControllerOptions {
  file: string;
  command: string;
  intervalMs: number;
  parallel: number;
  verbose?: (line: string) => void;
  /** The controller's own messages for people (reloads, restarts, errors). */
  log: (line: string) => void;
  onProgress?: (event: ProgressEvent) => void;
  onPoolEvent?: (event: PoolEvent) => void;
  /** `POST /v1/stop`: the API was asked to end the controller. Default: SIGTERM to this process. */
  onStopRequested?: () => void;
  /** Called after every pass: services that failed, or an invalid file. */
  onPass?: (pass: PassResult) => void;
  /** Aborts what is in flight (Ctrl+C), the first pass included. */
  signal?: AbortSignal;
  /** The time the controller and its machines read. Default: the system clock. */
  time?: Clock;
}

export interface PassResult {
  reason: string;
  /** The file did not load: nothing was done. */
  invalid?: StackError;
  outcome?: ApplyOutcome;
  converged: boolean;
}

/**
 * The reconcile loop (`stack watch`, `stack up`): holds the lock, reconciles once, then again on
 * every change of stack.yaml or a file it references, on an interval (drift), and keeps one
 * supervised machine per service. Level-based: every pass loads and observes from scratch.
 */
export class Controller {
  private desired: Desired;
  private running?: Promise<void>;
  private again?: string;
  private timer?: NodeJS.Timeout;
  private readonly watcher: FileWatcher;
  private readonly liveness: LivenessMonitor;
  private readonly logRotation: LogRotation;
  private readonly abort = new AbortController();
  private closed = false;
  private requestTimer?: NodeJS.Timeout;
  private readonly pendingRequests: ControllerRequest[] = [];
  /** Services whose start failed in a pass and that their machine retries. */
  private readonly retrying = new Set<string>();

  /**
   * Lines for the log, with the secret values the file declares now replaced: a liveness detail
   * can quote a plugin's status output, an error a path or URL.
   */
  private readonly say = (line: string): void => this.options.log(this.workspace.ctx.redact(line));
  // The file's warnings as last said: said again when they change, not on every pass.
  private saidWarnings = '';
  private api?: ApiServer;

  private constructor(
    private readonly options: ControllerOptions,
    private readonly workspace: Workspace,
    private readonly lock: HeldLock,
    private readonly state: StateStore,
    readonly pool: SupervisedPool,
  ) {
    this.desired = workspace.desired;
    this.watcher = new FileWatcher((paths) => void this.request(`changed: ${paths.map((path) => path.split('/').pop()).join(', ')}`), undefined, this.say);
    this.liveness = new LivenessMonitor(pool, workspace, this.say);
    this.logRotation = new LogRotation(pool, workspace, this.say);
  }

  /** Loads the file (exit 5 when invalid: nothing starts), takes the lock (exit 7), reconciles once. */
  static async start(options: ControllerOptions): Promise<Controller> {
    const desired = await readStack(options.file, { providers: PROVIDERS });
    const paths = statePaths(desired.root);
    const lock = await acquireLock(paths.lockFile, { command: options.command });
    try {
      if (lock.tookOverFrom) options.log(`took over the lock of pid ${lock.tookOverFrom.pid}, which is no longer running`);
      const state = await StateStore.open(paths.stateFile, desired.project, basename(desired.file));
      // Secrets change with the file: what the pool and liveness checks print redacts the current
      // ones. Called only once the controller below exists.
      const redact: Redact = (text, cut) => redactorOf(controller.current)(text, cut);
      const workspace: Workspace = { desired, paths, providers: createProviderRegistry(), ctx: { root: desired.root, stateDir: paths.dir, verbose: redactedVerbose(desired, options.verbose), redact } };
      const heard: { controller?: Controller } = {};
      const pool = new SupervisedPool(desired, workspace.providers, state, workspace.ctx, (event) => heard.controller?.heard(event), options.time);
      const controller = new Controller(options, workspace, lock, state, pool);
      heard.controller = controller;
      options.signal?.addEventListener('abort', () => controller.abort.abort(), { once: true });
      await controller.request('start');
      await controller.watcher.update(await watchedPaths(options.file, desired, workspace.providers));
      controller.timer = setInterval(() => void controller.request('interval'), options.intervalMs);
      controller.liveness.start();
      controller.logRotation.start();
      controller.requestTimer = setInterval(() => void controller.checkRequests(), 100);
      // A Unix socket's path is limited to 107 bytes: a deeper stack serves no API (docs/api.md).
      const socketPath = `${paths.dir}/${API_SOCKET}`;
      if (Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH) controller.api = await ApiServer.listen(socketPath, {
        project: () => controller.desired.project,
        status: () => controller.knownStatus(),
        nowIso: () => pool.env.time.nowIso(),
        redact: (text) => workspace.ctx.redact(text),
        // Ends the controller as `stack down` does today: the command that runs it closes it on SIGTERM.
        stop: () => options.onStopRequested ? options.onStopRequested() : void signalProcess(process.pid, 'SIGTERM'),
      });
      return controller;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  get current(): Desired {
    return this.desired;
  }

  /** Asks for a pass; passes never overlap, and requests during one fold into one more pass. */
  request(reason: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = reason;
      return this.running;
    }
    this.running = (async () => {
      let next: string | undefined = reason;
      while (next && !this.closed) {
        this.again = undefined;
        try {
          await this.pass(next);
        } catch (error) {
          // One failed pass (a compose file gone, a full disk) must not end supervision.
          this.say(`reconcile failed (${next}): ${error instanceof Error ? error.message : String(error)}; retrying on the next change or interval`);
        }
        next = this.again;
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops watching. Services keep running unless the caller stops them afterwards. */
  async close(options: { keepLock?: boolean } = {}): Promise<void> {
    this.closed = true;
    // What is in flight is interrupted (and recorded), not waited for.
    this.abort.abort();
    this.pool.interrupt();
    if (this.timer) clearInterval(this.timer);
    if (this.requestTimer) clearInterval(this.requestTimer);
    this.liveness.stop();
    await this.api?.close();
    await this.logRotation.stop();
    await this.watcher.close();
    await this.running;
    await this.pool.settle();
    this.pool.stopAll();
    await rm(this.statusFile, { force: true });
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

  private get statusFile(): string {
    return `${this.workspace.paths.dir}/controller.json`;
  }

  private async checkRequests(): Promise<void> {
    const requests = await takeRequests(this.workspace.paths.dir).catch(() => []);
    if (requests.length === 0) return;
    this.pendingRequests.push(...requests);
    await this.request(`requested: ${requests.map((request) => `${request.op} ${request.services.join(' ')}`).join('; ')}`);
  }

  /** `stack restart` handed over by another process: stop then start, clearing a give-up. */
  private async serveRequests(): Promise<void> {
    for (const request of this.pendingRequests.splice(0)) {
      for (const name of request.services) await this.state.update(name, withoutGiveUp);
      const workspace = this.workspaceNow;
      const observed = await observeServices(this.desired, this.state.all(), workspace.providers, { ...workspace.ctx, signal: this.abort.signal });
      for (const name of request.services) this.pool.actorFor(name, observed.get(name));
      const outcome = await this.execute(planRestart(this.desired, observed, request.services), observed);
      await answerRequest(this.workspace.paths.dir, request.id, {
        ok: outcome.failed === 0,
        lines: outcome.services.map((service) => `${service.service}: ${service.ops.join(', ')} ${service.status}${service.error ? `: ${service.error}` : ''}`),
      });
    }
  }

  /**
   * A machine's event, told to people (the reason of a give-up can quote a probe's URL: redacted).
   * A service whose start failed in a pass and that a retry got running has a pass of its own:
   * what needs it was skipped and starts now.
   */
  private heard(event: PoolEvent): void {
    this.options.onPoolEvent?.(event.type === 'gave-up' ? { ...event, reason: redactorOf(this.desired)(event.reason) } : event);
    this.api?.event(event);
    if (event.type === 'gave-up') this.retrying.delete(event.service);
    if (event.type === 'running' && this.retrying.delete(event.service)) void this.request(`${event.service} started on a retry`);
  }

  /**
   * `status` as the controller knows it (GET /v1/status): its machines' states and the records
   * it keeps. No probe, no /proc scan, so no port owners.
   */
  knownStatus(): StatusRow[] {
    const applied = this.state.all();
    const observed = new Map<string, ObservedService>();
    for (const name of new Set([...this.desired.services.map((service) => service.name), ...applied.keys()])) {
      const record = applied.get(name);
      const phase = phaseOf(this.pool.stateOf(name), record?.pid !== undefined && record.stoppedByUs !== true);
      const running = phase === 'running' || phase === 'starting';
      observed.set(name, {
        name,
        phase,
        ...(running && record?.pid !== undefined ? { pid: record.pid } : {}),
        ...(running && record?.startedAt ? { since: record.startedAt } : {}),
        restarts: record?.restarts ?? 0,
        ...(running && record?.probe ? { probe: record.probe, health: record.probe.ok ? 'ready' : record.probe.kind === 'health' ? 'unhealthy' : 'unready' } : {}),
        ...(this.pool.leftAloneWhy(name) ? { detail: this.pool.leftAloneWhy(name) } : {}),
      });
    }
    return statusRows(this.desired, observed, applied);
  }

  private warnIfNew(desired: Desired): void {
    const lines = (desired.warnings ?? []).map((warning) => `warning: ${formatIssue(warning)}`);
    if (lines.join('\n') === this.saidWarnings) return;
    this.saidWarnings = lines.join('\n');
    for (const line of lines) this.say(line);
  }

  private async pass(reason: string): Promise<void> {
    if (this.pendingRequests.length > 0) await this.serveRequests();
    let desired: Desired;
    try {
      desired = await readStack(this.options.file, { providers: PROVIDERS });
    } catch (error) {
      if (!(error instanceof StackError) || error.code !== ExitCode.invalidConfig && error.code !== ExitCode.noStackFile) throw error;
      // A typo never tears anything down: the last good file stays in force. A folder that went
      // away with the file is watched again once it is back.
      await this.watcher.update(await watchedPaths(this.options.file, this.desired, this.workspaceNow.providers)).catch(() => undefined);
      this.options.onPass?.({ reason, invalid: error, converged: false });
      return;
    }
    this.desired = desired;
    this.warnIfNew(desired);
    this.pool.setDesired(desired);
    const workspace = this.workspaceNow;
    // Sealed before any spec is computed (recordDeclarations reads them).
    await digestServiceFiles(workspace);
    this.state.recordDeclarations(desired.services);
    const applied = this.state.all();
    const observed = await observeServices(desired, applied, workspace.providers, { ...workspace.ctx, signal: this.abort.signal });
    for (const service of desired.services) if (service.enabled) this.pool.actorFor(service.name, observed.get(service.name));
    const plan = planActions(desired, observed, applied);
    const actions = plan.actions.filter((action) => this.mayAct(action));
    let outcome: ApplyOutcome | undefined;
    if (actions.length > 0) {
      this.options.log(`reconciling (${reason}): ${describeActions(actions)}`);
      outcome = await this.execute({ ...plan, actions }, observed);
    }
    await this.watcher.update(await watchedPaths(this.options.file, desired, workspace.providers)).catch(() => undefined);
    const converged = (outcome?.failed ?? 0) === 0 && plan.blocked.length === 0;
    const failed = outcome?.services.filter((s) => s.status === 'failed').map((s) => ({ service: s.service, error: s.error })) ?? [];
    for (const { service } of failed) if (this.pool.isBusy(service)) this.retrying.add(service);
    await writePassRecord(this.statusFile, { pid: process.pid, command: this.options.command, at: this.pool.env.time.nowIso(), reason, converged, failed, notRetried: notRetried(this.pool, failed, plan.blocked) });
    this.options.onPass?.({ reason, outcome, converged });
  }

  /** Runs a plan on the controller's own machines, so supervision carries on across runs. */
  private execute(plan: Plan, observed: Observed): Promise<ApplyOutcome> {
    const workspace = this.workspaceNow;
    return executePlan({
      desired: this.desired,
      plan,
      observed,
      state: this.state,
      providers: workspace.providers,
      ctx: workspace.ctx,
      parallel: this.options.parallel,
      signal: this.abort.signal,
      onProgress: this.options.onProgress,
      pool: this.pool,
    });
  }

  /**
   * Leaves alone what the supervisor owns: machines mid-operation or backing off, and crashes and
   * failed starts the restart policy decided to leave, until their spec changes (or, for one
   * that gave up, any part of its declaration: `ready` included).
   */
  private mayAct(action: Action): boolean {
    const name = action.service;
    if (this.pool.isBusy(name)) return false;
    if (!this.pool.leftAlone(name)) return true;
    const service = this.desired.services.find((candidate) => candidate.name === name);
    const applied = this.state.get(name);
    if (!service || !applied) return true;
    if (applied.gaveUp) return changedSinceGiveUp(service, applied).length > 0;
    return !recordedAs(specOf(service), applied);
  }
}

function describeActions(actions: readonly Action[]): string {
  return actions.map((action) => `${action.op} ${action.service}`).join(', ');
}

/** A machine's state as `status` names it; without a machine, what the record says. */
function phaseOf(machine: string | undefined, recordedRunning: boolean): Phase {
  switch (machine) {
    case undefined:
      return recordedRunning ? 'running' : 'absent';
    case 'running':
    case 'stopping':
    case 'stopped':
    case 'absent':
    case 'crashed':
      return machine;
    case 'failed':
    case 'startFailed':
    case 'backoff':
      // No run: the restart policy waits or gave up.
      return 'crashed';
    case 'uninstalling':
      return 'stopping';
    default:
      // init, installing, starting, waitingReady, abandoning, restarting, recovering: on its way.
      return 'starting';
  }
}
