import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { executePlan } from '../../src/engine/execute.js';
import { timeoutsFor } from '../../src/engine/execute-unit.js';
import { OperationError } from '../../src/model/provider.js';
import type { DesiredService } from '../../src/model/desired.js';
import type { Phase } from '../../src/model/observed.js';
import { planActions } from '../../src/reconcile/plan.js';
import { StateStore } from '../../src/state/state-store.js';
import { observedMap, service, stack } from '../reconcile/factory.js';
import { SimulatedTime } from '../support/clock.js';
import { FakeProvider } from '../support/fake-provider.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function setUp(services: DesiredService[]) {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'stack-facts-')));
  roots.push(root);
  const stateDir = path.join(root, '.stack');
  const desired = stack(services);
  const store = await StateStore.open(path.join(stateDir, 'state.json'), desired.project);
  const observed = observedMap(Object.fromEntries(services.map((entry) => [entry.name, 'absent' as Phase])));
  const fake = new FakeProvider();
  const time = new SimulatedTime();
  const run = () =>
    executePlan({ desired, plan: planActions(desired, observed, store.all()), observed, state: store, providers: fake.registry(), ctx: { root, stateDir, redact: (text) => text }, parallel: 4, signal: new AbortController().signal, clock: time, time });
  return { fake, store, time, run };
}

it('an OperationError’s exit code and log tail reach the outcome beside its text, the tail redacted as the text is', async () => {
  const { fake, run } = await setUp([{ ...service('web'), secrets: ['hunter2'] }]);
  fake.fail('web', 'start', new OperationError('web', 'web: start exited with code 2', { exitCode: 2, logTail: ['password hunter2 rejected'] }));
  const outcome = await run();
  expect(outcome.services).toEqual([
    expect.objectContaining({ service: 'web', status: 'failed', error: 'start exited with code 2', facts: { exitCode: 2, logTail: [expect.not.stringContaining('hunter2')] } }),
  ]);
});

it('a machine’s time limit is a fact too; a failure without facts has none', async () => {
  const { fake, store, time, run } = await setUp([service('hung'), service('plain')]);
  fake.hold('hung', 'start');
  fake.fail('plain', 'start', 'plain: nope');
  const running = run();
  await fake.when('hung', 'start');
  time.increment(timeoutsFor(service('hung')).start);
  // The hung call ignores its abort: the run gives up on it after a grace period on the same clock.
  let settled = false;
  void running.finally(() => (settled = true));
  for (let seconds = 0; !settled && seconds < 60; seconds += 1) {
    time.increment(1000);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const byName = Object.fromEntries((await running).services.map((entry) => [entry.service, entry]));
  expect(byName.hung).toMatchObject({ status: 'failed', error: 'start timed out after 30000 ms', facts: { timedOut: true } });
  expect(byName.plain).toMatchObject({ status: 'failed', error: 'nope' });
  expect(byName.plain).not.toHaveProperty('facts');
  // The failed start's record says when, by the run's clock.
  expect(store.get('plain')?.lastExit?.at).toMatch(/^2026-01-01T00:0/);
});
