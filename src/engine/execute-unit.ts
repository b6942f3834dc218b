import { createActor, fromPromise, waitFor, type ActorRefFrom } from 'xstate';
import { isTask, type DesiredService } from '../model/desired.js';
import { runLogTail } from './run-log-tail.js';
import { taskFailedWords } from '../reconcile/task-decision.js';
import { BUSY, serviceMachine, type InitialPhase, type OperationInput, type OperationTimeouts } from './service-machine.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { OperationError, type OperationContext, type Provider, type StartedService } from '../model/provider.js';
import type { StateStore } from '../state/state-store.js';
import { redactorOf } from '../config/secrets.js';
import type { Clock, MachineClock } from '../model/clock.js';
import type { Failure, UnitOp } from '../model/outcome.js';
import { recordExit, recordFailedStart } from './record-exit.js';
import { declarationsOf, stopSpecOf } from '../reconcile/declarations.js';
import { withFilesAfterRun } from './execute-files.js';
import { recordedAs, specOf } from '../reconcile/spec.js';
import type { AppliedService, ObservedService, ProbeRecord } from '../model/observed.js';

export type ServiceActor = ActorRefFrom<typeof serviceMachine>;

/** How long a task may run before its run counts as failed (timed out). */
export const TASK_RUN_LIMIT_MS = 24 * 60 * 60_000;

const DEFAULT_RESTART = { policy: 'no' as const, maxRestarts: 0, backoff: { initialMs: 500, maxMs: 30_000, resetMs: 10_000 } };

/** What one service's operations need, shared by every unit of a run. */
export interface UnitEnvironment {
  providers: ProviderRegistry;
  state: StateStore;
  ctx: Omit<OperationContext, 'signal'>;
  /** Every provider call in flight, so an interrupted run can wait for them to settle. */
  inflight: Set<Promise<unknown>>;
  /** Starts of this run, for the settle check and for supervisors. */
  started: Map<string, StartedService>;
  supervise?: boolean;
  /** What the operations had to say (OperationContext.note), by service, until a run reports it. */
  notes: Map<string, string>;
  /** Called after each start is recorded: a supervisor listens for the run's exit here. */
  onStarted?: (name: string, started: StartedService) => void;
  /** The machines' timers (their operation timeouts); tests pass a simulated one. Default: real time. */
  clock?: MachineClock;
  /** The time the operations read: when a record says something happened. */
  time: Clock;
  /**
   * Services whose unit sends START right after the INSTALL in flight: a provider whose start
   * installs too (`startInstalls`) skips the install step for them (runOps marks them).
   */
  installThenStart?: Set<string>;
}

export type { MachineClock, UnitOp };

type SimulatedClockLike = { setTimeout(fn: (...args: unknown[]) => void, ms: number): number; clearTimeout(id: number): void };

/**
 * The machine's time limits: a safety net over the providers' own. A run this stack spawns
 * itself (a grouped provider's: a process) is quick to start and stop; the other providers'
 * operations (image pulls, install scripts, a plugin's commands) set their own limits
 * (`lifecycle.timeout`, `wait`), so the machine only catches one that never returns. Without
 * `provider` (not made yet), the tight limits.
 */
export function timeoutsFor(service: DesiredService | undefined, record?: AppliedService, provider?: Pick<Provider, 'capabilities'>): OperationTimeouts {
  const stopMs = stopSpecOf(service, record).timeoutMs + 5_000;
  // A task's wait is its whole run: a migration may take long; Ctrl+C ends it.
  const readyMs = isTask(service) ? TASK_RUN_LIMIT_MS : service?.ready ? service.ready.timeoutMs + 1_000 : 60_000;
  if (service && provider && !provider.capabilities.grouped) {
    const long = 60 * 60_000;
    return { install: long, start: long, ready: Math.max(readyMs, 10 * 60_000), stop: Math.max(stopMs, long), uninstall: long };
  }
  return { install: 5 * 60_000, start: 30_000, ready: readyMs, stop: stopMs, uninstall: 60_000 };
}

export function initialPhaseOf(observed: ObservedService | undefined): InitialPhase {
  switch (observed?.phase) {
    case 'running':
    case 'starting':
    case 'stopping':
      return 'running';
    case 'stopped':
      return 'stopped';
    case 'crashed':
      return 'crashed';
    default:
      return 'absent';
  }
}

/**
 * Creates the lifecycle machine of one service with the real provider operations. Each
 * operation records what it did in the state file as soon as it happened, so an interrupted
 * or killed run never loses track of a process it started.
 */
export function createServiceActor(
  name: string,
  lookup: () => DesiredService | undefined,
  observed: ObservedService | undefined,
  env: UnitEnvironment,
): ServiceActor {
  const service = lookup();
  const record = env.state.get(name);
  // Observing (or executePlan) has made the provider already: the registry hands it out at once.
  const providerName = service?.provider ?? record?.provider;
  const provider = providerName === undefined ? undefined : env.providers.peek?.(providerName);
  return createActor(machineFor(env, name, lookup), {
    input: {
      name,
      initial: initialPhaseOf(observed),
      timeouts: timeoutsFor(service, record, provider),
      restart: service?.restart ?? DEFAULT_RESTART,
      supervise: env.supervise ?? false,
    },
    // xstate types its clock with numeric timer ids; ours are opaque.
    ...(env.clock ? { clock: env.clock as SimulatedClockLike } : {}),
  });
}

type Lookup = () => DesiredService | undefined;

// One provided machine per run (or supervisor), shared by all its services: building a
// machine builds its whole state tree, which for 50 services cost more than their spawns.
// Operations find their service by the name in their input.
const provided = new WeakMap<UnitEnvironment, { machine: typeof serviceMachine; lookups: Map<string, Lookup> }>();

function machineFor(env: UnitEnvironment, name: string, lookup: Lookup): typeof serviceMachine {
  let entry = provided.get(env);
  if (!entry) {
    const lookups = new Map<string, Lookup>();
    entry = { machine: provideOperations(env, (service) => lookups.get(service) ?? (() => undefined)), lookups };
    provided.set(env, entry);
  }
  entry.lookups.set(name, lookup);
  return entry.machine;
}

function provideOperations(env: UnitEnvironment, lookupOf: (name: string) => Lookup): typeof serviceMachine {
  const track = <T>(promise: Promise<T>): Promise<T> => {
    env.inflight.add(promise);
    void promise.finally(() => env.inflight.delete(promise)).catch(() => undefined);
    return promise;
  };
  const ctxWith = (signal: AbortSignal, name?: string): OperationContext => ({
    ...env.ctx,
    signal,
    ...(name === undefined ? {} : { note: (text: string) => env.notes.set(name, text) }),
  });
  // Operations read the service as stack.yaml says now: a supervisor keeps machines across edits.
  const need = (name: string): DesiredService => {
    const current = lookupOf(name)();
    if (!current) throw new Error(`${name} is no longer in stack.yaml`);
    return current;
  };

  const recordStart = (name: string, svc: DesiredService, started: StartedService): void => {
    env.started.set(name, started);
    env.state.record(name, (current) => ({
      ...recordBase(svc, current),
      pid: started.pid,
      pgid: started.pgid,
      startTicks: started.startTicks,
      startedAt: started.startedAt,
      stoppedByUs: false,
      stoppedWith: undefined,
      lastExit: undefined,
      probe: undefined,
      taskRun: undefined,
    }));
    env.onStarted?.(name, started);
  };

  const installedRecord = (svc: DesiredService) => (current: AppliedService | undefined): AppliedService => ({ ...recordBase(svc, current), pid: undefined, stoppedByUs: true });
  // A provider not made yet (runUnit makes it first) takes the full path: the safe answer.
  const providerOf = (name: string): { svc: DesiredService; provider: Provider } | undefined => {
    const svc = lookupOf(name)();
    const provider = svc && env.providers.peek?.(svc.provider);
    return svc && provider ? { svc, provider } : undefined;
  };

  return serviceMachine.provide({
    guards: {
      nothingToInstall: ({ context }) => {
        const known = providerOf(context.name);
        if (known === undefined) return false;
        return known.provider.install === undefined || (known.provider.startInstalls === true && env.installThenStart?.has(context.name) === true);
      },
      nothingToAwait: ({ context }) => {
        const known = providerOf(context.name);
        if (isTask(known?.svc)) return false;
        return known !== undefined && (known.provider.waitReady === undefined || known.provider.awaitsReady?.(known.svc) === false);
      },
      runsToCompletion: ({ context }) => isTask(lookupOf(context.name)()),
    },
    actions: {
      // Only bookkeeping, written with the run's next write.
      recordInstalled: ({ context }) => {
        const svc = lookupOf(context.name)();
        if (svc) env.state.record(context.name, installedRecord(svc));
      },
      // A task's failed run is recorded as such when it ends (its `taskRun`), not as a crash.
      recordStartFailure: ({ context }, { message }) =>
        !isTask(lookupOf(context.name)()) && env.state.record(context.name, (current) =>
          recordFailedStart(current, current && env.providers.peek?.(current.provider), { name: context.name, service: lookupOf(context.name)(), error: message }, env.time),
        ),
    },
    actors: {
      install: fromPromise<void, OperationInput>(async ({ input: { name }, signal }) => {
        const svc = need(name);
        const provider = await env.providers.get(svc.provider);
        const installed = installedRecord(svc);
        if (!provider.install) {
          // Nothing to install (a process): only bookkeeping, written with the run's next write.
          env.state.record(name, installed);
          return;
        }
        await track(provider.install(svc, ctxWith(signal)));
        await env.state.update(name, installedRecord(await withFilesAfterRun(provider, svc, ctxWith(signal))));
      }),
      start: fromPromise<void, OperationInput>(async ({ input: { name }, signal }) => {
        const svc = need(name);
        const provider = await env.providers.get(svc.provider);
        const started = await track(provider.start(svc, ctxWith(signal)));
        recordStart(name, await withFilesAfterRun(provider, svc, ctxWith(signal)), started);
      }),
      restart: fromPromise<void, OperationInput>(async ({ input: { name }, signal }) => {
        const svc = need(name);
        const provider = await env.providers.get(svc.provider);
        const applied = env.state.get(name);
        if (!provider.restart || !applied) throw new Error(`${name} cannot be restarted in one step`);
        env.started.delete(name);
        const started = await track(provider.restart(svc, applied, ctxWith(signal)));
        recordStart(name, await withFilesAfterRun(provider, svc, ctxWith(signal)), started);
      }),
      waitReady: fromPromise<void, OperationInput>(async ({ input: { name }, signal }) => {
        const svc = need(name);
        const started = env.started.get(name);
        if (isTask(svc)) return awaitCompletion(env, name, svc, started, signal);
        const provider = await env.providers.get(svc.provider);
        if (!started || !provider.waitReady) return;
        await recordReadiness(env.state, name, svc, started, track(provider.waitReady(svc, started, ctxWith(signal))), env.time);
      }),
      stop: fromPromise<void, OperationInput>(async ({ input: { name }, signal }) => {
        const applied = env.state.get(name);
        if (!applied) return;
        const provider = await env.providers.get(applied.provider);
        env.started.delete(name);
        const exit = await track(provider.stop(name, applied, stopSpecOf(lookupOf(name)(), applied), ctxWith(signal, name)));
        const end = { stoppedByUs: true, exit: exit && { code: exit.code, signal: exit.signal, reason: 'stopped by stack' } };
        env.state.record(name, (current) => current && recordExit(current, end, env.time));
      }),
      uninstall: fromPromise<void, OperationInput>(async ({ input: { name }, signal }) => {
        const applied = env.state.get(name);
        if (applied) {
          const provider = await env.providers.get(applied.provider);
          await track(provider.uninstall?.(name, applied, ctxWith(signal)) ?? Promise.resolve());
        }
        await env.state.update(name, () => undefined);
      }),
    },
  });
}

/**
 * What a readiness wait found, recorded for `status` (which shows it with its age instead of
 * probing): passed, or why not. An interrupted wait found nothing.
 */
export async function recordReadiness(
  state: StateStore,
  name: string,
  svc: DesiredService,
  started: Pick<StartedService, 'pid' | 'startedAt'>,
  wait: Promise<void>,
  clock: Clock,
): Promise<void> {
  const record = (probe: ProbeRecord) => state.record(name, (current) => (current && current.pid === started.pid && current.startedAt === started.startedAt ? { ...current, probe } : current));
  try {
    await wait;
    if (svc.ready) record({ kind: 'ready', ok: true, at: clock.nowIso() });
  } catch (error) {
    // The last line an exec probe printed may hold one of the service's secrets.
    const reason = error instanceof OperationError ? redactorOf({ services: [svc] })(withoutPrefix(svc.name, error.message.split('\n')[0] ?? '')) : undefined;
    if (svc.ready && reason !== undefined) record({ kind: 'ready', ok: false, reason, at: clock.nowIso() });
    throw error;
  }
}

/**
 * A task's run, to its end: its exit is recorded as the task's last run (`taskRun`, with the spec
 * it ran), and an exit code outside `successExitCodes` fails the operation with the log's last
 * lines. Ctrl+C (the signal) leaves the wait; the machine stops the run.
 */
async function awaitCompletion(env: UnitEnvironment, name: string, svc: DesiredService, started: StartedService | undefined, signal: AbortSignal): Promise<void> {
  if (!started?.exited) throw new OperationError(name, `${name}: its run's exit cannot be seen (stack did not start it)`);
  const exit = await abortable(started.exited, signal);
  const ok = exit.signal === null && exit.code !== null && (svc.task?.successExitCodes ?? [0]).includes(exit.code);
  const run = { ok, code: exit.code, signal: exit.signal, at: env.time.nowIso() };
  const end = { stoppedByUs: false, exit: { code: exit.code, signal: exit.signal, reason: ok ? 'completed' : 'failed' } };
  // The spec it was started with, as its start recorded it (inputs digested then).
  await env.state.update(name, (current) => current && { ...recordExit(current, end, env.time), taskRun: { ...run, specHash: current.specHash } });
  env.started.delete(name);
  if (ok) {
    env.notes.set(name, `completed (exit code ${exit.code})`);
    return;
  }
  const redact = redactorOf({ services: [svc] });
  const lines = (await runLogTail(env, name, svc, started, 10)).map((line) => redact(line));
  const said = lines.length > 0 ? `; last lines of its log:\n  ${lines.join('\n  ')}` : '';
  throw new OperationError(name, `${name}: ${taskFailedWords(exit)}${said}`, { exitCode: exit.code, signal: exit.signal, logTail: lines });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('interrupted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const withoutPrefix = (name: string, message: string): string => message.replace(new RegExp(`^${name}: (not ready: )?`), '');

function recordBase(service: DesiredService, current: AppliedService | undefined): AppliedService {
  const spec = specOf(service);
  return {
    ...current,
    provider: service.provider,
    specHash: spec.specHash,
    installHash: spec.installHash,
    fields: spec.fields,
    files: service.files === undefined ? undefined : { ...service.files },
    ...declarationsOf(service),
    restarts: recordedAs(spec, current) ? (current?.restarts ?? 0) : 0,
    gaveUp: false,
    gaveUpAfter: undefined,
    gaveUpDeclared: undefined,
  };
}

const targetOf: Record<UnitOp, 'stopped' | 'running' | 'absent'> = { install: 'stopped', start: 'running', restart: 'running', stop: 'stopped', uninstall: 'absent' };
const eventOf = { install: 'INSTALL', start: 'START', restart: 'RESTART', stop: 'STOP', uninstall: 'UNINSTALL' } as const;

export type OpResult =
  | { ok: true }
  /** `retry`: the start failed and the supervisor's machine is trying again (restart `attempt` of `max`). */
  | { ok: false; failure: Failure; interrupted: boolean; retry?: { attempt: number; max: number } };

/**
 * Sends one operation to a service's machine and waits until it lands or fails. A start that
 * failed and that a supervisor's machine retries is reported failed at once: the retries (with
 * their backoff) are the supervisor's, the run that asked does not wait for them.
 */
export async function runOp(actor: ServiceActor, op: UnitOp): Promise<OpResult> {
  const target = targetOf[op];
  const before = actor.getSnapshot();
  // Operations that are already true are no-ops (e.g. stopping a service that crashed meanwhile).
  if (op === 'stop' && (before.matches('crashed') || before.matches('stopped') || before.matches('completed'))) {
    if (before.matches('completed')) actor.send({ type: 'STOP' });
    if (before.matches('crashed')) actor.send({ type: 'STOP' });
    return { ok: true };
  }
  actor.send({ type: eventOf[op] });
  // Counted after the event: a start from `crashed` or `failed` begins a new count.
  const restartsBefore = actor.getSnapshot().context.restarts;
  const retried = (snap: ReturnType<ServiceActor['getSnapshot']>) => snap.context.restarts > restartsBefore && snap.context.startFailure !== undefined;
  // A start (or a task's run) that another run stops on its way (`stack stop`, a schedule's replace) ends there.
  const stoppedMeanwhile = (snap: ReturnType<ServiceActor['getSnapshot']>) => target === 'running' && snap.matches('stopping');
  const snapshot = await waitFor(
    actor,
    (snap) => snap.status === 'done' || snap.matches('failed') || ((snap.matches(target) || (target === 'running' && snap.matches('completed'))) && !snap.hasTag(BUSY)) || retried(snap) || stoppedMeanwhile(snap),
    { timeout: Infinity },
  );
  if (snapshot.status === 'done') return { ok: false, failure: { message: 'interrupted' }, interrupted: true };
  if (stoppedMeanwhile(snapshot)) return { ok: false, failure: { message: 'stopped by another run before its start ended' }, interrupted: false };
  if (snapshot.matches('failed')) return { ok: false, failure: snapshot.context.failure ?? { message: `${op} failed` }, interrupted: false };
  if (retried(snapshot)) {
    const retry = { attempt: snapshot.context.restarts, max: snapshot.context.restart.maxRestarts };
    return { ok: false, failure: snapshot.context.startFailureFacts ?? { message: `${op} failed` }, interrupted: false, retry };
  }
  return { ok: true };
}
