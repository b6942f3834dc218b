import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { serviceMachine, type InitialPhase, type OperationInput } from '../../src/engine/service-machine.js';
import type { RestartSpec } from '../../src/model/desired.js';

const restart: RestartSpec = { policy: 'on-failure', maxRestarts: 3, backoff: { initialMs: 500, maxMs: 1500, resetMs: 10_000 } };
const timeouts = { install: 1000, start: 1000, ready: 2000, stop: 1000, uninstall: 1000 };

/** A controllable promise: the test decides when a provider operation settles. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function harness(options: { initial?: InitialPhase; supervise?: boolean; restart?: RestartSpec; lean?: boolean } = {}) {
  const clock = new SimulatedClock();
  const calls: string[] = [];
  const pending = new Map<string, ReturnType<typeof deferred>>();
  const op = (name: string) =>
    fromPromise<void, OperationInput>(async () => {
      calls.push(name);
      const step = deferred();
      pending.set(name, step);
      return step.promise;
    });
  const machine = serviceMachine.provide({
    actors: { install: op('install'), start: op('start'), waitReady: op('waitReady'), stop: op('stop'), uninstall: op('uninstall') },
    // A provider with no install step and a service with nothing to wait for (a process without `ready`).
    guards: { nothingToInstall: () => options.lean === true, nothingToAwait: () => options.lean === true },
    actions: { recordInstalled: () => void calls.push('recordInstalled') },
  });
  const actor = createActor(machine, {
    clock,
    input: { name: 'web', initial: options.initial ?? 'absent', timeouts, restart: options.restart ?? restart, supervise: options.supervise ?? false },
  });
  actor.start();
  const settle = async (name: string, error?: Error) => {
    await flush();
    const step = pending.get(name);
    if (!step) throw new Error(`${name} was not invoked (calls: ${calls.join(', ')})`);
    pending.delete(name);
    if (error) step.reject(error);
    else step.resolve();
    await flush();
  };
  const state = () => String(actor.getSnapshot().value);
  return { actor, clock, calls, settle, state };
}

describe('service machine', () => {
  it('starts where the service was observed', () => {
    expect(harness({ initial: 'running' }).state()).toBe('running');
    expect(harness({ initial: 'stopped' }).state()).toBe('stopped');
    expect(harness({ initial: 'crashed' }).state()).toBe('crashed');
    expect(harness().state()).toBe('absent');
  });

  it('installs, starts, waits for readiness, then runs', async () => {
    const h = harness();
    h.actor.send({ type: 'INSTALL' });
    expect(h.state()).toBe('installing');
    await h.settle('install');
    expect(h.state()).toBe('stopped');
    h.actor.send({ type: 'START' });
    await h.settle('start');
    expect(h.state()).toBe('waitingReady');
    await h.settle('waitReady');
    expect(h.state()).toBe('running');
    expect(h.calls).toEqual(['install', 'start', 'waitReady']);
  });

  it('skips the install and readiness operations when the executor says there is nothing to do', async () => {
    const h = harness({ lean: true });
    h.actor.send({ type: 'INSTALL' });
    // Recorded at once, no operation invoked.
    expect(h.state()).toBe('stopped');
    h.actor.send({ type: 'START' });
    expect(h.state()).toBe('starting');
    await h.settle('start');
    expect(h.state()).toBe('running');
    expect(h.calls).toEqual(['recordInstalled', 'start']);
  });

  it('stops and uninstalls back to absent', async () => {
    const h = harness({ initial: 'running' });
    h.actor.send({ type: 'STOP' });
    await h.settle('stop');
    expect(h.state()).toBe('stopped');
    h.actor.send({ type: 'UNINSTALL' });
    await h.settle('uninstall');
    expect(h.state()).toBe('absent');
  });

  it('fails a start when the operation times out on the clock', async () => {
    const h = harness({ initial: 'stopped' });
    h.actor.send({ type: 'START' });
    await flush();
    h.clock.increment(999);
    expect(h.state()).toBe('starting');
    h.clock.increment(1);
    expect(h.state()).toBe('failed');
    expect(h.actor.getSnapshot().context.error).toBe('start timed out after 1000 ms');
  });

  it('stops a service that never became ready and keeps the reason', async () => {
    const h = harness({ initial: 'stopped' });
    h.actor.send({ type: 'START' });
    await h.settle('start');
    await h.settle('waitReady', new Error('tcp 127.0.0.1:4222: connection refused'));
    expect(h.state()).toBe('abandoning');
    await h.settle('stop');
    expect(h.state()).toBe('failed');
    expect(h.actor.getSnapshot().context.error).toBe('tcp 127.0.0.1:4222: connection refused');
  });

  it('without supervision, an exit leaves the service crashed', () => {
    const h = harness({ initial: 'running' });
    h.actor.send({ type: 'EXITED', code: 1, signal: null });
    expect(h.state()).toBe('crashed');
    expect(h.actor.getSnapshot().context.lastExit).toEqual({ code: 1, signal: null });
  });

  it('restarts a crash after exactly the configured backoff, doubling up to max', async () => {
    const h = harness({ initial: 'running', supervise: true });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      h.actor.send({ type: 'EXITED', code: 1, signal: null });
      expect(h.state()).toBe('backoff');
      let waited = 0;
      while (h.state() === 'backoff') {
        h.clock.increment(100);
        waited += 100;
      }
      delays.push(waited);
      expect(h.state()).toBe('starting');
      await h.settle('start');
      await h.settle('waitReady');
      expect(h.state()).toBe('running');
    }
    expect(delays).toEqual([500, 1000, 1500]);
    expect(h.actor.getSnapshot().context.restarts).toBe(3);
  });

  it('with a zero backoff, restarts at once, on no timer', async () => {
    const zero = { ...restart, backoff: { initialMs: 0, maxMs: 0, resetMs: 10_000 } };
    const h = harness({ initial: 'running', supervise: true, restart: zero });
    h.actor.send({ type: 'EXITED', code: 1, signal: null });
    // The simulated clock never moved: a 0 ms timer would still be pending here.
    expect(h.state()).toBe('starting');
    expect(h.actor.getSnapshot().context.restarts).toBe(1);
    await h.settle('start');
    expect(h.calls).toEqual(['start', 'waitReady']);
  });

  it('gives up after maxRestarts and stays crashed', async () => {
    const h = harness({ initial: 'running', supervise: true, restart: { ...restart, maxRestarts: 2 } });
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      h.actor.send({ type: 'EXITED', code: 1, signal: null });
      h.clock.increment(1500);
      await h.settle('start');
      await h.settle('waitReady');
    }
    h.actor.send({ type: 'EXITED', code: 1, signal: null });
    expect(h.state()).toBe('crashed');
    expect(h.actor.getSnapshot().context.gaveUp).toBe(true);
    h.clock.increment(60_000);
    expect(h.state()).toBe('crashed');
  });

  it('resets the restart counter after the service stayed up for backoff.reset', async () => {
    const h = harness({ initial: 'running', supervise: true });
    h.actor.send({ type: 'EXITED', code: 1, signal: null });
    h.clock.increment(500);
    await h.settle('start');
    await h.settle('waitReady');
    expect(h.actor.getSnapshot().context.restarts).toBe(1);
    h.clock.increment(9_999);
    expect(h.actor.getSnapshot().context.restarts).toBe(1);
    h.clock.increment(1);
    expect(h.actor.getSnapshot().context.restarts).toBe(0);
  });

  it('on-failure leaves a clean exit alone; always restarts it', () => {
    const onFailure = harness({ initial: 'running', supervise: true });
    onFailure.actor.send({ type: 'EXITED', code: 0, signal: null });
    expect(onFailure.state()).toBe('crashed');
    const always = harness({ initial: 'running', supervise: true, restart: { ...restart, policy: 'always' } });
    always.actor.send({ type: 'EXITED', code: 0, signal: null });
    expect(always.state()).toBe('backoff');
  });

  it('an unhealthy service is stopped and restarted through the policy', async () => {
    const h = harness({ initial: 'running', supervise: true });
    h.actor.send({ type: 'UNHEALTHY', reason: 'http 500' });
    expect(h.state()).toBe('recovering');
    await h.settle('stop');
    expect(h.state()).toBe('backoff');
  });

  it('under supervision a first start that fails is retried with the backoff, then gives up with the reason kept', async () => {
    const h = harness({ initial: 'stopped', supervise: true, restart: { ...restart, maxRestarts: 2 } });
    h.actor.send({ type: 'START' });
    await h.settle('start', new Error('exited with code 1 during start'));
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context).toMatchObject({ restarts: 1, startFailure: 'exited with code 1 during start', gaveUp: false });
    h.clock.increment(499);
    expect(h.state()).toBe('backoff');
    h.clock.increment(1);
    // The second attempt is never ready: stopped again, then retried after the doubled backoff.
    await h.settle('start');
    await h.settle('waitReady', new Error('tcp 127.0.0.1:4222: connection refused'));
    await h.settle('stop');
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context.restarts).toBe(2);
    h.clock.increment(1000);
    await h.settle('start', new Error('exited with code 2 during start'));
    expect(h.state()).toBe('failed');
    expect(h.actor.getSnapshot().context).toMatchObject({ restarts: 2, gaveUp: true, startFailure: 'exited with code 2 during start' });
    expect(h.calls).toEqual(['start', 'start', 'waitReady', 'stop', 'start']);
  });

  it('a start that never returns is a failed start too: retried under supervision', async () => {
    const h = harness({ initial: 'stopped', supervise: true });
    h.actor.send({ type: 'START' });
    await flush();
    h.clock.increment(1000);
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context.startFailure).toBe('start timed out after 1000 ms');
  });

  it('policy no leaves a failed start alone without calling it a give-up; maxRestarts 0 gives up at once', async () => {
    const no = harness({ initial: 'stopped', supervise: true, restart: { ...restart, policy: 'no' } });
    no.actor.send({ type: 'START' });
    await no.settle('start', new Error('boom'));
    expect(no.state()).toBe('failed');
    expect(no.actor.getSnapshot().context).toMatchObject({ gaveUp: false, startFailure: 'boom', restarts: 0 });
    const none = harness({ initial: 'stopped', supervise: true, restart: { ...restart, maxRestarts: 0 } });
    none.actor.send({ type: 'START' });
    await none.settle('start', new Error('boom'));
    expect(none.state()).toBe('failed');
    expect(none.actor.getSnapshot().context).toMatchObject({ gaveUp: true, restarts: 0 });
  });

  it('a start that succeeds after retries forgets the failure', async () => {
    const h = harness({ initial: 'stopped', supervise: true });
    h.actor.send({ type: 'START' });
    await h.settle('start', new Error('boom'));
    h.clock.increment(500);
    await h.settle('start');
    await h.settle('waitReady');
    expect(h.state()).toBe('running');
    expect(h.actor.getSnapshot().context.startFailure).toBeUndefined();
  });

  it('ABORT interrupts an operation in flight', async () => {
    const h = harness({ initial: 'stopped' });
    h.actor.send({ type: 'START' });
    await flush();
    h.actor.send({ type: 'ABORT' });
    expect(h.state()).toBe('interrupted');
    expect(h.actor.getSnapshot().status).toBe('done');
  });
});
