import { describe, expect, it } from 'vitest';
import { planRestart, restartable } from '../../src/reconcile/plan-restart.js';
import { observedMap, service, stack } from './factory.js';

const actionsOf = (plan: ReturnType<typeof planRestart>) => plan.actions.map((action) => `${action.op} ${action.service}`);

describe('restartable: what `stack restart` with no names restarts', () => {
  it('every enabled service meant to run that runs or crashed (a give-up too), dependencies first; never one stopped, absent, disabled or unknown', () => {
    const desired = stack([
      service('web', { dependsOn: ['db'] }),
      service('db'),
      service('worker'),
      service('cache', { state: 'stopped' }),
      service('old', { enabled: false }),
      service('absent'),
      service('lost'),
      service('held'),
    ]);
    const observed = observedMap({ web: 'running', db: 'starting', worker: 'crashed', cache: 'running', old: 'running', absent: 'absent', lost: 'unknown', held: 'stopped' });
    expect(restartable(desired, observed)).toEqual(['db', 'web', 'worker']);
  });
});

describe('planRestart', () => {
  const desired = stack([service('c', { dependsOn: ['b'] }), service('b', { dependsOn: ['a'] }), service('a')]);
  const observed = observedMap({ a: 'running', b: 'running', c: 'crashed' });

  it('stops in reverse dependency order, then starts in dependency order', () => {
    const plan = planRestart(desired, observed, ['c', 'a', 'b']);
    expect(actionsOf(plan)).toEqual(['stop b', 'stop a', 'start a', 'start b', 'start c']);
    expect(plan.rolling).toBeUndefined();
  });

  it('rolling: each service stopped and started before the next, dependencies first', () => {
    const plan = planRestart(desired, observed, ['c', 'a', 'b'], { rolling: true });
    expect(actionsOf(plan)).toEqual(['stop a', 'start a', 'stop b', 'start b', 'start c']);
    expect(plan.rolling).toBe(true);
    expect(plan.summary.restart).toBe(3);
  });
});

describe('planRestart of replicas', () => {
  const desired = stack([service('db'), service('web.0', { replicaOf: 'web', replica: 0, dependsOn: ['db'] }), service('web.1', { replicaOf: 'web', replica: 1, dependsOn: ['db'] })]);
  const observed = observedMap({ db: 'running', 'web.0': 'running', 'web.1': 'running' });

  it('rolls without being asked, one replica at a time, so one always serves', () => {
    const plan = planRestart(desired, observed, ['web.1', 'web.0']);
    expect(actionsOf(plan)).toEqual(['stop web.0', 'start web.0', 'stop web.1', 'start web.1']);
    expect(plan.rolling).toBe(true);
    expect(plan.actions[0]?.reason).toBe('stack restart, one replica at a time');
  });

  it('does not roll a restart without replicas', () => {
    expect(planRestart(desired, observed, ['db']).rolling).toBeUndefined();
  });
});
