import { conditionOf, type Desired, type DesiredService } from '../model/desired.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { OperationContext, Provider, StartedService } from '../model/provider.js';
import type { StateStore } from '../state/state-store.js';
import { redactorOf } from '../config/secrets.js';
import { withoutServicePrefix } from '../model/errors.js';
import { systemClock } from '../os/clock.js';
import type { Clock, MachineClock } from '../model/clock.js';
import { factsOf, type ApplyOutcome, type FailureFacts, type ProgressEvent, type ServiceOutcome, type UnitOp } from '../model/outcome.js';
import { declaredOrRecordedDeps } from '../reconcile/declarations.js';
import { createServiceActor, recordReadiness, runOp, type ServiceActor, type UnitEnvironment } from './execute-unit.js';
import { SettleCheck, waitForInflight } from './settle.js';
import { blockerOf, buildUnits, keyOf, rollUnits, runGraph, spawnedKey, type Unit } from './execute-graph.js';
import type { AppliedService, Observed, ObservedService } from '../model/observed.js';
import type { Plan } from '../model/plan.js';

export interface ExecuteOptions {
  desired: Desired;
  plan: Plan;
  observed: Observed;
  state: StateStore;
  providers: ProviderRegistry;
  ctx: Omit<OperationContext, 'signal'>;
  /** Services moving at once (`--parallel`, default 4). */
  parallel: number;
  /** Aborted on Ctrl+C: operations in flight are interrupted, then the run waits for them to settle. */
  signal: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** The time the run reads: durations, and when its records say things happened. Default: the system clock. */
  time?: Clock;
  /** The machines' timers, for their operation timeouts (tests: a simulated clock; SimulatedTime serves as both). */
  clock?: MachineClock;
  /** A supervisor's long-lived machines; without it the run makes its own and stops them after. */
  pool?: ServicePool;
  /** Told when a start has spawned its run (before it waits for readiness or, a task, for its end). */
  onSpawned?: (service: string) => void;
}

/** Long-lived machines shared by successive runs (the watch controller). */
export interface ServicePool {
  env: UnitEnvironment;
  actorFor(name: string, observed: ObservedService | undefined): ServiceActor;
}


/**
 * How many stops may be under way at once: a stop is a signal and a wait, no work, so
 * `--parallel` (sized for starts, which spawn and check) does not hold them back: up to
 * STOPS_AT_ONCE, as `docker compose down` and `supervisorctl stop all` stop everything at once.
 * Dependents still stop first, and `-p 1` is still one at a time in manifest order.
 */
const STOPS_AT_ONCE = 64;

function limitOf(round: readonly Unit[], parallel: number): number {
  const stopsOnly = round.length > 0 && round.every((unit) => unit.phase === 'stop');
  return stopsOnly && parallel > 1 ? Math.max(parallel, STOPS_AT_ONCE) : parallel;
}

/**
 * Carries out a plan: the stop phase (dependents first), then the start phase (dependencies
 * first), each as a dependency graph with at most `parallel` services moving at once. A failure
 * skips what depends on it and nothing else. A rolling plan (`stack restart --rolling`) is one
 * chain instead: each unit after the one before, and a failure skips the rest.
 */
export async function executePlan(options: ExecuteOptions): Promise<ApplyOutcome> {
  const time = options.pool?.env.time ?? options.time ?? systemClock;
  const now = (): number => time.monotonicMs();
  const byName = new Map(options.desired.services.map((service) => [service.name, service]));
  options.state.recordDeclarations(options.desired.services);
  const env: UnitEnvironment = options.pool?.env ?? {
    providers: options.providers,
    state: options.state,
    ctx: options.ctx,
    inflight: new Set(),
    started: new Map(),
    notes: new Map(),
    clock: options.clock,
    time,
  };
  const actors = new Map<string, ServiceActor>();
  const actorFor = (name: string): ServiceActor => {
    let actor = actors.get(name);
    if (!actor) {
      actor = options.pool?.actorFor(name, options.observed.get(name)) ?? createServiceActor(name, () => byName.get(name), options.observed.get(name), env);
      if (!options.pool) actor.start();
      actors.set(name, actor);
    }
    return actor;
  };
  const onAbort = () => {
    for (const actor of actors.values()) actor.send({ type: 'ABORT' });
  };
  options.signal.addEventListener('abort', onAbort, { once: true });

  // Errors quote paths, argv, URLs and the services' own log lines: secret values never get out.
  let redactor: ((text: string) => string) | undefined;
  const redact = (text: string): string => (redactor ??= redactorOf(options.desired))(text);
  // Provider errors name their service ("web: not ready: …"); the outcome names it beside the error.
  const redactOutcome = (outcome: ServiceOutcome): ServiceOutcome => {
    const note = env.notes.get(outcome.service);
    env.notes.delete(outcome.service);
    const noted = note === undefined ? outcome : { ...outcome, note: redact(note) };
    if (noted.error === undefined) return noted;
    const facts = noted.facts && redactFacts(noted.facts, redact);
    return { ...noted, error: withoutServicePrefix(noted.service, redact(noted.error)), ...(facts ? { facts } : {}) };
  };

  const conditionFor = (name: string, dep: string) => {
    const service = byName.get(name);
    return service ? conditionOf(service, dep) : 'ready';
  };
  const merged = await restartInOneStep(buildUnits(options.plan.actions, (name) => declaredOrRecordedDeps(name, byName, options.state), conditionFor), byName, options);
  const units = options.plan.rolling ? rollUnits(merged) : merged;
  // Made before any machine is: a machine's time limits and an interrupt's wording ask them.
  const providerOf = await providersOf(units, byName, options);
  const outcomes = new Map<string, ServiceOutcome>();
  // Each service this run started, with its run as it was at the start: a supervisor forgets a
  // run as soon as it exits, before the settle check looks.
  const startedHere = new Map<string, StartedService | undefined>();
  const stoppedHere = new Set<string>();
  // Services whose run this run spawned (what `dependsOn: { x: started }` waits for).
  const spawnedHere = new Set<string>();
  // The units that reached their machine, with the pid recorded then: an interrupt is judged against it.
  const reached = new Map<string, { pid: number | undefined }>();
  // Stops only because a dependency goes away: the record says so until the service starts again.
  const stopsWith = new Map(options.plan.actions.flatMap((action) => (action.op === 'stop' && action.stopsWith ? [[action.service, action.stopsWith] as const] : [])));

  // A provider that throws where no machine catches it fails its own service, never the run.
  const runUnitSafely = async (unit: Unit, mark: (key: string) => void): Promise<ServiceOutcome> => {
    try {
      return await runUnit(unit, mark);
    } catch (error) {
      return { service: unit.service, ops: unit.ops, status: 'failed', durationMs: 0, error: error instanceof Error ? error.message : String(error) };
    }
  };

  const runUnit = async (unit: Unit, mark: (key: string) => void): Promise<ServiceOutcome> => {
    const interrupted = (durationMs: number): ServiceOutcome => ({ service: unit.service, ops: unit.ops, status: 'interrupted', durationMs, error: 'interrupted' });
    const blocker = blockerOf(unit, outcomes, byName, options.observed, startedHere, stoppedHere, spawnedHere);
    if (options.signal.aborted) return interrupted(0);
    if (blocker) return { service: unit.service, ops: unit.ops, status: 'skipped', durationMs: 0, error: blocker };
    options.onProgress?.({ type: 'begin', service: unit.service, ops: unit.ops });
    // A note left by a supervisor's own stop belongs to no unit of this run.
    env.notes.delete(unit.service);
    const began = now();
    if (unit.ops.includes('start')) {
      const unready = await firstUnreadyDependency(unit.service, byName, startedHere, env, options.signal);
      if (unready) return { service: unit.service, ops: unit.ops, status: 'skipped', durationMs: now() - began, error: unready };
    }
    // Made before the machine moves: its shortcuts (no install step, nothing to wait for) ask
    // the provider synchronously. A provider that fails to load fails in the operation, as before.
    const service = byName.get(unit.service);
    if (service) await env.providers.get(service.provider).catch(() => undefined);
    // An interrupt during that wait found no machine to abort.
    if (options.signal.aborted) return interrupted(now() - began);
    const actor = actorFor(unit.service);
    reached.set(keyOf(unit.phase, unit.service), { pid: options.state.get(unit.service)?.pid });
    const spawned = unit.phase === 'start' ? watchSpawn(actor, () => {
      spawnedHere.add(unit.service);
      mark(spawnedKey(unit.service));
      options.onSpawned?.(unit.service);
    }) : undefined;
    try {
      return await runOps(unit, actor, began);
    } finally {
      spawned?.unsubscribe();
    }
  };

  const runOps = async (unit: Unit, actor: ServiceActor, began: number): Promise<ServiceOutcome> => {
    for (const [index, op] of unit.ops.entries()) {
      // An install its start follows: a provider whose start installs too does the start alone.
      const folds = op === 'install' && unit.ops[index + 1] === 'start';
      if (folds) (env.installThenStart ??= new Set()).add(unit.service);
      const result = await runOp(actor, op).finally(() => folds && env.installThenStart?.delete(unit.service));
      if (!result.ok) {
        // The supervisor tries again in the background; this run reports the failure now.
        const { message } = result.failure;
        const error = result.retry ? `${message}; retrying (restart ${result.retry.attempt} of ${result.retry.max})` : message;
        const facts = factsOf(result.failure);
        return { service: unit.service, ops: unit.ops, status: result.interrupted ? 'interrupted' : 'failed', durationMs: now() - began, error, ...(facts ? { facts } : {}) };
      }
      if (op === 'start') startedHere.set(unit.service, env.started.get(unit.service));
      if (op === 'stop') stoppedHere.add(unit.service);
      const cause = op === 'stop' ? stopsWith.get(unit.service) : undefined;
      if (cause !== undefined) options.state.record(unit.service, (current) => current && { ...current, stoppedWith: cause });
    }
    return { service: unit.service, ops: unit.ops, status: 'done', durationMs: now() - began };
  };

  let settled = true;
  const settle = new SettleCheck(env, byName, { signal: options.signal, onProgress: options.onProgress, redact });
  try {
    // Rolling, one graph: each service's stop and start come together, one after the other.
    const rounds = options.plan.rolling ? [units] : (['stop', 'start'] as const).map((phase) => units.filter((unit) => unit.phase === phase));
    for (const round of rounds) {
      await runGraph(round, { limit: limitOf(round, options.parallel), slotOf: startSlots(byName, providerOf, options.parallel) }, async (unit, mark) => {
        const outcome = redactOutcome(await runUnitSafely(unit, mark));
        outcomes.set(keyOf(unit.phase, unit.service), outcome);
        // A start its settle check watches is reported once that check decided it.
        if (unit.phase === 'start' && settle.watch(outcome, startedHere.get(unit.service))) return;
        // An interrupted unit is reported below, once what was in flight has landed.
        if (outcome.status !== 'interrupted' && (outcome.status !== 'skipped' || !options.signal.aborted)) options.onProgress?.({ type: 'end', outcome });
      });
    }
    await settle.finish(outcomes);
  } finally {
    settle.release();
    options.signal.removeEventListener('abort', onAbort);
    // Whatever was in flight when the run was interrupted is recorded before we return; a call
    // that never returns (its machine timed out) is given up on after a grace period.
    settled = await waitForInflight(env.inflight, undefined, env.clock);
    await options.state.flush();
    if (!options.pool) for (const actor of actors.values()) actor.stop();
  }
  // What each interrupted service was left as, now that its calls in flight have been recorded.
  for (const [key, outcome] of outcomes) {
    if (outcome.status !== 'interrupted') continue;
    const left = leftAfterInterrupt(outcome.ops, byName.get(outcome.service), options.state.get(outcome.service), reached.get(key), settled, providerOf.get(outcome.service));
    const told = left === undefined ? outcome : { ...outcome, note: left };
    outcomes.set(key, told);
    options.onProgress?.({ type: 'end', outcome: told });
  }
  const services = [...outcomes.values()];
  return {
    services,
    interrupted: options.signal.aborted,
    failed: services.filter((outcome) => outcome.status === 'failed').length,
  };
}

/**
 * The slot of a start unit whose provider starts its group together (`startGroup`: the stack
 * services of one compose project): every ready unit of the group begins at once, as one of
 * `--parallel`'s. None with `--parallel 1`, strict manifest order.
 */
function startSlots(byName: ReadonlyMap<string, DesiredService>, providerOf: ReadonlyMap<string, Provider>, parallel: number): ((unit: Unit) => string | undefined) | undefined {
  if (parallel <= 1) return undefined;
  return (unit) => {
    if (unit.phase !== 'start' || !unit.ops.every((op) => op === 'install' || op === 'start')) return undefined;
    const service = byName.get(unit.service);
    const provider = providerOf.get(unit.service);
    const group = service && provider?.name === service.provider ? provider.startGroup?.(service) : undefined;
    return group === undefined ? undefined : `${service?.provider}\0${group}`;
  };
}

/** Calls `spawned` once the start of `actor` has spawned its run (it waits for readiness or a task's end, or runs). */
function watchSpawn(actor: ServiceActor, spawned: () => void): { unsubscribe(): void } {
  let told = false;
  return actor.subscribe((snapshot) => {
    if (told || !(snapshot.matches('waitingReady') || snapshot.matches('running') || snapshot.matches('completed'))) return;
    told = true;
    spawned();
  });
}

/**
 * How an interrupted unit left a process service, from what was recorded once its calls landed,
 * against the pid recorded when the unit began (`began`; undefined when it never got that far):
 * `left running (pid 4242), not yet ready`, `not started`, `stopped`, `not stopped`, the run
 * named by its provider (`describeRun`). Undefined unless the provider's runs are groups this
 * stack spawned, whose record alone tells (others: only a probe can), or when the provider is
 * unknown. `settled` is false when a call had not returned when the run gave up waiting for it.
 */
export function leftAfterInterrupt(
  ops: readonly UnitOp[],
  service: DesiredService | undefined,
  record: AppliedService | undefined,
  began: { pid: number | undefined } | undefined,
  settled: boolean,
  provider: Pick<Provider, 'capabilities' | 'describeRun'> | undefined,
): string | undefined {
  if (!provider?.capabilities.grouped) return undefined;
  const starting = ops.includes('start') || ops.includes('restart');
  const stopping = ops.includes('stop') || ops.includes('uninstall');
  const verb = starting ? 'started' : stopping ? 'stopped' : 'installed';
  if (!began) return `not ${verb}`;
  if (!settled) return `unknown: a call had not returned when stack stopped waiting; \`stack status\` tells`;
  const pid = record?.pid;
  if (starting) {
    // Only a pid this unit recorded is a run it started: a crashed service keeps its last one.
    if (pid === undefined || pid === began.pid) return 'not started';
    const run = provider.describeRun(record) ?? `pid ${pid}`;
    return service?.ready ? `left running (${run}), not yet ready` : `left running (${run})`;
  }
  if (stopping) return pid === undefined ? 'stopped' : `still running (${provider.describeRun(record) ?? `pid ${pid}`}): its stop was cut short`;
  return record === undefined ? 'not installed' : 'installed';
}

/** The provider of each unit's service (its declared one, else its recorded one); one that cannot be made is left out. */
async function providersOf(units: readonly Unit[], byName: ReadonlyMap<string, DesiredService>, options: ExecuteOptions): Promise<Map<string, Provider>> {
  const found = new Map<string, Provider>();
  for (const unit of units) {
    const name = byName.get(unit.service)?.provider ?? options.state.get(unit.service)?.provider;
    const provider = name === undefined ? undefined : await options.providers.get(name).catch(() => undefined);
    if (provider) found.set(unit.service, provider);
  }
  return found;
}

/**
 * Dependencies that were already running (not started by this run) may declare `ready`: a
 * dependent starts only once they pass it, e.g. after an interrupted apply left one starting.
 */
async function firstUnreadyDependency(
  name: string,
  byName: ReadonlyMap<string, DesiredService>,
  startedHere: Pick<ReadonlySet<string>, 'has'>,
  env: UnitEnvironment,
  signal: AbortSignal,
): Promise<string | undefined> {
  const service = byName.get(name);
  for (const depName of service?.dependsOn ?? []) {
    const dep = byName.get(depName);
    if (service && conditionOf(service, depName) === 'started') continue;
    const record = env.state.get(depName);
    // A `log` probe of a run not started here would match lines of earlier runs: trust the observed phase.
    if (!dep?.ready || dep.ready.check.kind === 'log' || startedHere.has(depName) || !record?.startedAt) continue;
    const provider = await env.providers.get(dep.provider);
    const started = { pid: record.pid, pgid: record.pgid, startTicks: record.startTicks, startedAt: record.startedAt };
    try {
      if (provider.waitReady) await recordReadiness(env.state, depName, dep, started, provider.waitReady(dep, started, { ...env.ctx, signal }), env.time);
    } catch (error) {
      return `dependency ${depName} is not ready: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
    }
  }
  return undefined;
}

/**
 * A restart whose provider can do it in one step (a plugin's `restart` command) becomes one
 * `restart` unit in the start phase instead of a stop and a start, unless one of the
 * service's dependencies stops in this run (then the service must be down first).
 */
async function restartInOneStep(units: Unit[], byName: ReadonlyMap<string, DesiredService>, options: ExecuteOptions): Promise<Unit[]> {
  const stopping = new Set(units.filter((unit) => unit.phase === 'stop').map((unit) => unit.service));
  const merged = new Set<string>();
  for (const unit of units) {
    const service = byName.get(unit.service);
    if (unit.phase !== 'start' || unit.ops.join() !== 'start' || !service || !stopping.has(unit.service)) continue;
    const stop = units.find((other) => other.phase === 'stop' && other.service === unit.service);
    if (stop?.ops.join() !== 'stop' || service.dependsOn.some((dep) => stopping.has(dep))) continue;
    if (options.observed.get(unit.service)?.phase !== 'running' || options.state.get(unit.service)?.provider !== service.provider) continue;
    const provider = await options.providers.get(service.provider).catch(() => undefined);
    if (!provider?.restart) continue;
    unit.ops = ['restart'];
    merged.add(unit.service);
  }
  return units.filter((unit) => !(unit.phase === 'stop' && merged.has(unit.service)));
}

/** The last lines a service printed may hold one of its secrets, as its error text may. */
function redactFacts(facts: FailureFacts, redact: (text: string) => string): FailureFacts {
  return facts.logTail ? { ...facts, logTail: facts.logTail.map(redact) } : facts;
}
