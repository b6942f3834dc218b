// The controller's machines against what its passes observe (a stand-in provider; tests/cli/swarm.test.ts
// has a controller correct a swarm stack scaled up by hand on a real engine).
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesiredService } from '../../../src/model/desired.js';
import type { Provider } from '../../../src/model/provider.js';
import type { ProviderRegistry } from '../../../src/providers/registry.js';
import { runOp } from '../../../src/engine/execute-unit.js';
import { SupervisedPool } from '../../../src/engine/supervise/service-pool.js';
import { StateStore } from '../../../src/state/state-store.js';
import { appliedFrom, compose, observedMap, service, stack } from '../../reconcile/factory.js';
import { FakeProvider } from '../../support/fake-provider.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

/** A pool of one service served by the fake, as a provider whose runs the pool does not watch (`grouped: false`) or as one it does. */
async function poolOf(one: DesiredService, grouped: boolean) {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'stack-pool-')));
  roots.push(root);
  const fake = new FakeProvider();
  const capabilities = { grouped, cheapObserve: grouped, readsExitsFromRecord: grouped };
  const provider = new Proxy(fake, { get: (target, key) => (key === 'capabilities' ? capabilities : key === 'name' ? one.provider : Reflect.get(target, key, target)) }) as Provider;
  const providers: ProviderRegistry = { get: async () => provider, peek: () => provider };
  const stateDir = path.join(root, '.stack');
  const state = await StateStore.open(path.join(stateDir, 'state.json'), 'devstack');
  // Applied before: a stop acts on what the state records.
  await state.set(one.name, appliedFrom(one));
  const pool = new SupervisedPool(stack([one]), providers, state, { root, stateDir, redact: (text) => text });
  return { pool, fake };
}

const observedAs = (name: string, phase: 'running' | 'stopped') => observedMap({ [name]: phase }).get(name);

describe('the controller’s machines and what its passes observe', () => {
  it('a compose or swarm service found running while its machine stands stopped gets a machine that stops it (it was started by hand)', async () => {
    const { pool, fake } = await poolOf(compose('api', { state: 'stopped' }), false);
    const first = pool.actorFor('api', observedAs('api', 'running'));
    expect((await runOp(first, 'stop')).ok).toBe(true);
    expect(fake.calls()).toEqual(['api:stop']);
    // A pass later: scaled up by hand, observed running again. The stop is carried out, not taken as done.
    const second = pool.actorFor('api', observedAs('api', 'running'));
    expect(second).not.toBe(first);
    expect((await runOp(second, 'stop')).ok).toBe(true);
    expect(fake.calls()).toEqual(['api:stop', 'api:stop']);
    // Observed as its machine stands: the same machine.
    expect(pool.actorFor('api', observedAs('api', 'stopped'))).toBe(second);
  });

  it('a process service’s machine is kept: the pool hears of its runs’ ends itself', async () => {
    const { pool, fake } = await poolOf(service('web', { state: 'stopped' }), true);
    const first = pool.actorFor('web', observedAs('web', 'running'));
    expect((await runOp(first, 'stop')).ok).toBe(true);
    expect(pool.actorFor('web', observedAs('web', 'running'))).toBe(first);
    expect(fake.calls()).toEqual(['web:stop']);
  });
});
