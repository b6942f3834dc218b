import { describe, expect, it } from 'vitest';
import { planDown } from '../../src/reconcile/plan-down.js';
import { appliedFrom, appliedMap, observedMap, service, stack } from './factory.js';

const db = service('db');
const web = service('web', { dependsOn: ['db'] });

describe('planDown: a service whose state is unknown', () => {
  it('is stopped anyway, saying why, and not reported as blocked', () => {
    const observed = observedMap({ db: 'running', web: 'unknown' });
    const plan = planDown(stack([db, web]), observed, appliedMap([db, web]));
    expect(plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:stop', 'db:stop']);
    expect(plan.actions[0]?.reason).toBe('stack down (state unknown: status could not be determined; stopping it anyway)');
    expect(plan.blocked).toEqual([]);
  });

  it('is stopped when a named dependency pulls it in', () => {
    const plan = planDown(stack([db, web]), observedMap({ db: 'running', web: 'unknown' }), appliedMap([db, web]), ['db']);
    expect(plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:stop', 'db:stop']);
  });

  it('stays blocked when stack stopped it last, or never recorded it', () => {
    const applied = new Map([['web', appliedFrom(web, { stoppedByUs: true })]]);
    const plan = planDown(stack([db, web]), observedMap({ db: 'unknown', web: 'unknown' }), applied);
    expect(plan.actions).toEqual([]);
    expect(plan.blocked.map((entry) => entry.service)).toEqual(['db', 'web']);
  });

  it('stays blocked when its provider is unavailable: the stop could not run', () => {
    const observed = new Map([['db', { name: 'db', phase: 'unknown' as const, detail: 'the docker engine is unreachable', unavailable: true }]]);
    const plan = planDown(stack([db]), observed, appliedMap([db]));
    expect(plan.actions).toEqual([]);
    expect(plan.blocked).toEqual([{ service: 'db', reason: 'the docker engine is unreachable', unavailable: true }]);
  });
});
