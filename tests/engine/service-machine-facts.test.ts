import { expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { BUSY, serviceMachine, type OperationInput } from '../../src/engine/service-machine.js';
import { OperationError } from '../../src/model/provider.js';

const restart = { policy: 'no' as const, maxRestarts: 0, backoff: { initialMs: 500, maxMs: 1500, resetMs: 10_000 } };
const timeouts = { install: 1000, start: 1000, ready: 2000, stop: 1000, uninstall: 1000 };

function machineWith(start: () => Promise<void>) {
  const clock = new SimulatedClock();
  const machine = serviceMachine.provide({ actors: { start: fromPromise<void, OperationInput>(start) } });
  const actor = createActor(machine, { clock, input: { name: 'web', initial: 'stopped', timeouts, restart, supervise: false } });
  actor.start();
  return { actor, clock };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

it('an operation in flight is tagged busy; a state at rest is not', async () => {
  const { actor, clock } = machineWith(() => new Promise(() => undefined));
  expect(actor.getSnapshot().hasTag(BUSY)).toBe(false);
  actor.send({ type: 'START' });
  expect(actor.getSnapshot().value).toBe('starting');
  expect(actor.getSnapshot().hasTag(BUSY)).toBe(true);
  clock.increment(timeouts.start);
  await flush();
  expect(actor.getSnapshot().value).toBe('failed');
  expect(actor.getSnapshot().hasTag(BUSY)).toBe(false);
  expect(actor.getSnapshot().context.failure).toEqual({ message: 'start timed out after 1000 ms', timedOut: true });
});

it('an OperationError’s facts reach the context beside its message, and a retry clears them', async () => {
  const { actor } = machineWith(async () => {
    throw new OperationError('web', 'web: start exited with code 2', { exitCode: 2, logTail: ['no such table'] });
  });
  actor.send({ type: 'START' });
  await flush();
  const { context } = actor.getSnapshot();
  expect(context.error).toBe('web: start exited with code 2');
  expect(context.failure).toEqual({ message: 'web: start exited with code 2', exitCode: 2, logTail: ['no such table'] });
  expect(context.startFailureFacts).toEqual(context.failure);
  actor.send({ type: 'START' });
  expect(actor.getSnapshot().context.failure).toBeUndefined();
});
