import { describe, expect, it } from 'vitest';
import { ExitCode, StackError } from '../../src/model/errors.js';
import type { ProviderRegistry } from '../../src/providers/registry.js';
import type { Provider } from '../../src/model/provider.js';
import { observeServices } from '../../src/engine/observe.js';
import { planActions } from '../../src/reconcile/plan.js';
import { planDown } from '../../src/reconcile/plan-down.js';
import { compose, service, stack } from '../reconcile/factory.js';

const ctx = { signal: new AbortController().signal, root: '/tmp', stateDir: '/tmp/.stack', redact: (text: string) => text };

// process answers "absent"; compose is unavailable (docker down) or fails in another way.
function registry(composeError: Error): ProviderRegistry {
  const processProvider = { name: 'process', observe: async (name: string) => ({ name, phase: 'absent' }) } as unknown as Provider;
  const composeProvider = {
    name: 'compose',
    observe: async () => {
      throw composeError;
    },
  } as unknown as Provider;
  return { get: async (name) => (name === 'compose' ? composeProvider : processProvider) };
}

describe('an unavailable provider', () => {
  it('makes its services unknown and marked unavailable, while the others are planned as usual', async () => {
    const desired = stack([service('api'), compose('db')]);
    const down = new StackError(ExitCode.providerUnavailable, 'the docker engine is unreachable', { hint: 'set DOCKER_HOST' });
    const observed = await observeServices(desired, new Map(), registry(down), ctx);
    expect(observed.get('db')).toEqual({ name: 'db', phase: 'unknown', detail: 'the docker engine is unreachable; set DOCKER_HOST', unavailable: true });
    const plan = planActions(desired, observed, new Map());
    expect(plan.blocked).toEqual([{ service: 'db', reason: 'the docker engine is unreachable; set DOCKER_HOST', kind: 'unknown', unavailable: true }]);
    expect(plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['api:install', 'api:start']);
  });

  it('marks what down cannot stop as unavailable too, so down exits 6 as apply does', async () => {
    const desired = stack([service('api'), compose('db')]);
    const down = new StackError(ExitCode.providerUnavailable, 'the docker CLI is not installed', { hint: 'install it' });
    const observed = await observeServices(desired, new Map(), registry(down), ctx);
    expect(planDown(desired, observed, new Map(), []).blocked).toEqual([{ service: 'db', reason: 'the docker CLI is not installed; install it', unavailable: true }]);
  });

  it('is not claimed for other observe failures', async () => {
    const desired = stack([compose('db')]);
    const observed = await observeServices(desired, new Map(), registry(new Error('docker ps: permission denied')), ctx);
    expect(observed.get('db')).toEqual({ name: 'db', phase: 'unknown', detail: 'docker ps: permission denied' });
    expect(planActions(desired, observed, new Map()).blocked[0]?.unavailable).toBeUndefined();
  });
});
