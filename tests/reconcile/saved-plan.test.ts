import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/reconcile/plan.js';
import { checkSavedPlan, createSavedPlan } from '../../src/reconcile/saved-plan.js';
import { parseSavedPlan } from '../../src/reconcile/saved-plan-schema.js';
import type { ObservedService } from '../../src/model/observed.js';
import { appliedFrom, service, stack } from './factory.js';

const desired = stack([service('api'), service('web', { env: { MODE: 'new' } }), service('idle')]);
const oldWeb = service('web', { env: { MODE: 'old' } });
const applied = new Map([['web', appliedFrom(oldWeb)], ['idle', appliedFrom(desired.services[2] as never)]]);
const observed = new Map<string, ObservedService>([
  ['api', { name: 'api', phase: 'absent' }],
  ['web', { name: 'web', phase: 'running', pid: 4242 }],
  ['idle', { name: 'idle', phase: 'running', pid: 7 }],
]);
const plan = planActions(desired, observed, applied);
const basis = { desired, stackHash: 'sha256:aa', observed, applied };

describe('saved plans', () => {
  const saved = createSavedPlan(plan, basis);

  it('record what each planned service looked like, and only planned services', () => {
    expect(Object.keys(saved.services)).toEqual(['web', 'api']);
    expect(saved.services.web).toMatchObject({ phase: 'running', pid: 4242, appliedSpecHash: applied.get('web')?.specHash });
    expect(saved.services.api).toMatchObject({ phase: 'absent', pid: null, appliedSpecHash: null });
    expect(parseSavedPlan(JSON.parse(JSON.stringify(saved)))).toEqual({ plan: saved });
  });

  it('are fresh while nothing moved, and say what moved otherwise', () => {
    expect(checkSavedPlan(saved, basis)).toEqual([]);
    // An unplanned service moving does not matter.
    expect(checkSavedPlan(saved, { ...basis, observed: new Map([...observed, ['idle', { name: 'idle', phase: 'crashed' }]]) })).toEqual([]);
    expect(checkSavedPlan(saved, { ...basis, stackHash: 'sha256:bb' })).toEqual(['/srv/stack.yaml changed since the plan was made']);
    expect(checkSavedPlan(saved, { ...basis, observed: new Map([...observed, ['web', { name: 'web', phase: 'running', pid: 5000 }]]) })).toEqual([
      'web runs as pid 5000, the plan saw pid 4242',
    ]);
    expect(checkSavedPlan(saved, { ...basis, observed: new Map([...observed, ['api', { name: 'api', phase: 'running', pid: 9 }]]) })).toEqual(['api was absent, now running']);
    expect(checkSavedPlan(saved, { ...basis, applied: new Map([...applied, ['web', appliedFrom(desired.services[1] as never)]]) })).toEqual([
      'web was applied again since the plan was made',
    ]);
    const envFileEdited = stack([service('api', { env: { FROM_FILE: 'x' } }), desired.services[1] as never, desired.services[2] as never]);
    expect(checkSavedPlan(saved, { ...basis, desired: envFileEdited })).toEqual(['what api runs changed since the plan was made (an env file or a file it reads)']);
  });

  it('reject files that are not saved plans', () => {
    expect(parseSavedPlan({ formatVersion: 2 })).toEqual({ error: expect.stringContaining('formatVersion') });
    expect(parseSavedPlan({ ...saved, plan: { ...saved.plan, actions: [{ service: 'x', op: 'explode' }] } })).toEqual({ error: expect.stringContaining('plan.actions.0') });
  });
});
