import type { DesiredService, ProviderName, StopSpec } from '../../src/model/desired.js';
import type { ProviderRegistry } from '../../src/providers/registry.js';
import { cannotRun, type ExitInfo, type LogsRequest, type OperationContext, type Provider, type StartedService } from '../../src/model/provider.js';
import type { AppliedService, ObservedService } from '../../src/model/observed.js';

export type FakeOp = 'install' | 'start' | 'waitReady' | 'stop' | 'uninstall';

/** One provider call: `seq` orders every begin and end of every call; `at` is wall time, for people. */
export interface JournalEntry {
  seq: number;
  at: number;
  service: string;
  op: FakeOp;
  event: 'begin' | 'end' | 'fail';
  /** Whether the operation's abort signal was aborted when the call ended. */
  aborted?: boolean;
}

export interface Deferred<T = void> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** Rejects with a clear message if `promise` has not settled within `ms`: a deadline, not a sleep. */
export function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Polls `condition` until it holds, failing after `ms`. */
export async function waitUntil(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Behaviour {
  /** The call waits for this before it ends. */
  gate?: Promise<void>;
  /** The call fails with this (a message becomes an Error), after its gate. */
  failure?: string | Error;
  /** For `start`: what the started run's `exited` is. */
  exited?: () => Promise<ExitInfo>;
}

/**
 * An in-memory provider that journals every call. Behaviour is set per service and operation:
 * a gate the test opens, a failure, an early exit. Without any, every call succeeds at once.
 */
export class FakeProvider implements Provider {
  readonly name: ProviderName = 'process';
  // It hands out pids and pgids as the process provider does, and observes without a command.
  readonly capabilities = { grouped: true, cheapObserve: true, readsExitsFromRecord: true };
  /** The runs that have not stopped or exited, by service: what observe reports as running. */
  private readonly running = new Map<string, StartedService>();
  /** What each service "printed": its start prints the MARKER of its env, when it has one. */
  private readonly printed = new Map<string, string[]>();
  private readonly listeners = new Set<() => void>();
  readonly journal: JournalEntry[] = [];
  /** What `start` handed out, by service. */
  readonly started = new Map<string, StartedService>();
  /** The stop spec each service's last stop was given. */
  readonly stopSpecs = new Map<string, StopSpec>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly waiters: { service: string; op: FakeOp; event: JournalEntry['event']; done: () => void }[] = [];
  private seq = 0;
  private nextPid = 40_000;

  /** Makes the next calls of `op` on `service` wait until the returned deferred is resolved. */
  hold(service: string, op: FakeOp): Deferred {
    const gate = deferred();
    this.behave(service, op, { gate: gate.promise });
    return gate;
  }

  fail(service: string, op: FakeOp, failure: string | Error): void {
    this.behave(service, op, { failure });
  }

  exitAfterStart(service: string, exit: () => Promise<ExitInfo>): void {
    this.behave(service, 'start', { exited: exit });
  }

  /** Resolves once a call of `op` on `service` has reached `event` (at once if it already has). */
  when(service: string, op: FakeOp, event: JournalEntry['event'] = 'begin'): Promise<void> {
    if (this.find(service, op, event)) return Promise.resolve();
    return within(new Promise<void>((done) => this.waiters.push({ service, op, event, done })), `${service} ${op} ${event}`);
  }

  find(service: string, op: FakeOp, event: JournalEntry['event'] = 'begin'): JournalEntry | undefined {
    return this.journal.find((entry) => entry.service === service && entry.op === op && entry.event === event);
  }

  /** `service:op` of every call, in the order the calls began. */
  calls(): string[] {
    return this.journal.filter((entry) => entry.event === 'begin').map((entry) => `${entry.service}:${entry.op}`);
  }

  registry(): ProviderRegistry {
    const as = (name: ProviderName): Provider => (name === this.name ? this : this.posingAs(name));
    return { get: async (name) => as(name), peek: as };
  }

  private readonly poses = new Map<ProviderName, Provider>();

  /**
   * The fake serving another provider's services: only as `process` does it read exits from the
   * record, as the real providers do. Calls still land in this one journal.
   */
  private posingAs(name: ProviderName): Provider {
    let pose = this.poses.get(name);
    if (!pose) {
      pose = new Proxy(this, { get: (target, key) => (key === 'capabilities' ? { ...target.capabilities, readsExitsFromRecord: false } : key === 'name' ? name : Reflect.get(target, key, target)) });
      this.poses.set(name, pose);
    }
    return pose;
  }

  async observe(name: string): Promise<ObservedService> {
    const run = this.running.get(name);
    if (!run) return { name, phase: 'stopped' };
    return { name, phase: 'running', pid: run.pid, since: run.startedAt };
  }

  install(service: DesiredService, ctx: OperationContext): Promise<void> {
    return this.call(service.name, 'install', ctx, () => undefined);
  }

  start(service: DesiredService, ctx: OperationContext): Promise<StartedService> {
    return this.call(service.name, 'start', ctx, (behaviour) => {
      const pid = this.nextPid++;
      const started: StartedService = { pid, pgid: pid, startTicks: pid * 10, startedAt: new Date().toISOString(), logOffset: this.printed.get(service.name)?.length ?? 0 };
      if (behaviour?.exited) {
        started.exited = behaviour.exited();
        void started.exited.then(() => {
          if (this.running.get(service.name) === started) this.running.delete(service.name);
        });
      }
      this.started.set(service.name, started);
      this.running.set(service.name, started);
      const marker = service.process?.env.MARKER;
      if (marker !== undefined) this.print(service.name, marker);
      return started;
    });
  }

  waitReady(service: DesiredService, _started: StartedService, ctx: OperationContext): Promise<void> {
    return this.call(service.name, 'waitReady', ctx, () => undefined);
  }

  stop(name: string, applied: AppliedService, stop: StopSpec, ctx: OperationContext): Promise<ExitInfo | undefined> {
    this.stopSpecs.set(name, stop);
    return this.call(name, 'stop', ctx, () => {
      // A record without a run has nothing to stop: no error, and no exit to tell.
      if (applied.pid === undefined) return undefined;
      if (this.running.get(name)?.pid === applied.pid) this.running.delete(name);
      return { code: null, signal: stop.signal };
    });
  }

  uninstall(name: string, _applied: AppliedService, ctx: OperationContext): Promise<void> {
    return this.call(name, 'uninstall', ctx, () => {
      this.running.delete(name);
    });
  }

  async logs(name: string, _desired: DesiredService | undefined, _applied: AppliedService | undefined, request: LogsRequest): Promise<undefined> {
    const lines = this.printed.get(name) ?? [];
    let shown = lines.length;
    const from = request.run?.logOffset ?? 0;
    const tail = request.lines > 0 ? lines.slice(from).slice(-request.lines) : [];
    if (tail.length > 0) request.write(tail.map((text) => ({ text, stream: 'stdout' as const })));
    request.caughtUp?.();
    if (!request.follow) return undefined;
    const more = () => {
      const now = this.printed.get(name) ?? [];
      if (now.length > shown) request.write(now.slice(shown).map((text) => ({ text, stream: 'stdout' as const })));
      shown = now.length;
    };
    this.listeners.add(more);
    await new Promise<void>((resolve) => (request.signal.aborted ? resolve() : request.signal.addEventListener('abort', () => resolve(), { once: true })));
    this.listeners.delete(more);
    return undefined;
  }

  run(service: DesiredService): Promise<number> {
    return Promise.reject(cannotRun(service));
  }

  watchedPaths(service: DesiredService) {
    return { files: [...(service.process?.envFiles ?? [])], trees: [] };
  }

  describeRun(record: AppliedService | undefined): string | undefined {
    return record?.pid === undefined ? undefined : `pid ${record.pid}`;
  }

  /** A line of the service's output, as its run would print it. */
  print(service: string, line: string): void {
    this.printed.set(service, [...(this.printed.get(service) ?? []), line]);
    for (const listener of this.listeners) listener();
  }

  private behave(service: string, op: FakeOp, change: Behaviour): void {
    const key = `${service}:${op}`;
    this.behaviours.set(key, { ...this.behaviours.get(key), ...change });
  }

  private async call<T>(service: string, op: FakeOp, ctx: OperationContext, result: (behaviour: Behaviour | undefined) => T): Promise<T> {
    const behaviour = this.behaviours.get(`${service}:${op}`);
    this.record(service, op, 'begin', ctx);
    if (behaviour?.gate) await behaviour.gate;
    if (behaviour?.failure) {
      this.record(service, op, 'fail', ctx);
      throw typeof behaviour.failure === 'string' ? new Error(behaviour.failure) : behaviour.failure;
    }
    const value = result(behaviour);
    this.record(service, op, 'end', ctx);
    return value;
  }

  private record(service: string, op: FakeOp, event: JournalEntry['event'], ctx: OperationContext): void {
    this.journal.push({ seq: this.seq++, at: performance.now(), service, op, event, aborted: ctx.signal.aborted });
    for (const waiter of [...this.waiters]) {
      if (waiter.service === service && waiter.op === op && waiter.event === event) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.done();
      }
    }
  }
}
