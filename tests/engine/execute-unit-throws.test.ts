import { mkdtemp, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { executePlan } from '../../src/engine/execute.js';
import { planActions } from '../../src/reconcile/plan.js';
import { StateStore } from '../../src/state/state-store.js';
import { appliedFrom, compose, observedMap, service, stack } from '../reconcile/factory.js';
import { FakeProvider } from '../support/fake-provider.js';

it('a provider that throws outside a machine fails that service, not the whole run', async () => {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'stack-exec-')));
  const db = compose('db', { ready: { check: { kind: 'tcp', host: '127.0.0.1', port: 1 }, timeoutMs: 10, intervalMs: 5, failureThreshold: 1 } });
  const web = service('web', { dependsOn: ['db'] });
  const other = service('other');
  const desired = stack([db, web, other]);
  const store = await StateStore.open(path.join(root, '.stack/state.json'), 'devstack');
  await store.set('db', appliedFrom(db, { startedAt: '2024-01-01T00:00:00Z' }));
  const observed = observedMap({ db: 'running', web: 'absent', other: 'absent' });
  const plan = planActions(desired, observed, store.all());
  const fake = new FakeProvider();
  const unhandled: unknown[] = [];
  const onUnhandled = (error: unknown) => unhandled.push(error);
  process.on('unhandledRejection', onUnhandled);
  try {
    const outcome = await executePlan({
      desired,
      plan,
      observed,
      state: store,
      providers: {
        get: async (name) => {
          if (name === 'compose') throw new Error('compose provider unavailable');
          return fake;
        },
      },
      ctx: { root, stateDir: path.join(root, '.stack'), redact: (text) => text },
      parallel: 4,
      signal: new AbortController().signal,
    });
    const byService = Object.fromEntries(outcome.services.map((entry) => [entry.service, entry]));
    expect(byService.web?.status).toBe('failed');
    expect(byService.web?.error).toContain('compose provider unavailable');
    expect(byService.other?.status).toBe('done');
    expect(outcome.failed).toBe(1);
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
