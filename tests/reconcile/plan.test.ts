import { describe, expect, it } from 'vitest';
import { planActions, unknownTargets } from '../../src/reconcile/plan.js';
import type { AppliedService } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { appliedFrom, appliedMap, observedMap, service, stack } from './factory.js';

function steps(plan: Plan): string[] {
  return plan.actions.map((a) => `${a.symbol} ${a.service} ${a.op}${a.pulledInBy ? ` <${a.pulledInBy}` : ''}`);
}

const db = service('db');
const web = service('web', { dependsOn: ['db'] });
const worker = service('worker', { dependsOn: ['db'] });
const api = service('api', { dependsOn: ['web'] });

describe('planActions: ordering', () => {
  it('starts dependencies first even when the manifest lists them later', () => {
    const plan = planActions(stack([web, db]), observedMap({ web: 'absent', db: 'absent' }), new Map());
    expect(steps(plan)).toEqual(['+ db install', '+ db start', '+ web install', '+ web start']);
    expect(plan.summary).toEqual({ install: 2, start: 2, restart: 0, stop: 0, uninstall: 0, unknown: 0 });
  });

  it('keeps manifest order between unrelated services', () => {
    const plan = planActions(stack([service('b'), service('a'), service('c')]), observedMap({ a: 'stopped', b: 'stopped', c: 'stopped' }), new Map());
    expect(steps(plan)).toEqual(['+ b start', '+ a start', '+ c start']);
  });

  it('stops in exact reverse start order, then starts in start order', () => {
    const changed = [db, web, api].map((entry) => service(entry.name, { dependsOn: entry.dependsOn, env: { V: '2' } }));
    const plan = planActions(stack(changed), observedMap({ db: 'running', web: 'running', api: 'running' }), appliedMap([db, web, api]));
    expect(steps(plan)).toEqual([
      '~ api stop', '~ web stop', '~ db stop',
      '~ db start', '~ web start', '~ api start',
    ]);
    expect(plan.summary.restart).toBe(3);
    expect(plan.summary.start).toBe(0);
    expect(plan.actions.every((a) => a.reason === 'spec changed: env.V')).toBe(true);
  });

  it('puts an uninstall right after its stop, removed services first, in reverse applied order', () => {
    const applied = new Map<string, AppliedService>([
      ['old1', appliedFrom(service('old1'))],
      ['db', appliedFrom(db)],
      ['old2', appliedFrom(service('old2'))],
      ['web', appliedFrom(web)],
    ]);
    const desired = stack([db, { ...web, enabled: false }]);
    const plan = planActions(desired, observedMap({ old1: 'running', old2: 'stopped', db: 'running', web: 'running' }), applied);
    expect(steps(plan)).toEqual(['- old2 uninstall', '- old1 stop', '- old1 uninstall', '- web stop', '- web uninstall']);
    expect(plan.actions[0]?.reason).toBe('removed from stack.yaml');
    expect(plan.summary).toEqual({ install: 0, start: 0, restart: 0, stop: 2, uninstall: 3, unknown: 0 });
    expect(plan.unchanged).toEqual(['db']);
  });

  it('reports unknown services as blocked and acts on the rest', () => {
    const plan = planActions(stack([db, web]), observedMap({ db: 'unknown', web: 'stopped' }), appliedMap([db, web]));
    expect(steps(plan)).toEqual(['+ web start']);
    expect(plan.blocked).toEqual([{ service: 'db', reason: 'status could not be determined', kind: 'unknown' }]);
    expect(plan.summary.unknown).toBe(1);
  });

  it('treats a service nobody observed as unknown', () => {
    const plan = planActions(stack([db]), new Map(), appliedMap([db]));
    expect(plan.blocked).toEqual([{ service: 'db', reason: 'not observed', kind: 'unknown' }]);
  });

  it('does not count a service that gave up as unknown', () => {
    const applied = new Map([['db', appliedFrom(db, { gaveUp: true, restarts: 5 })]]);
    const plan = planActions(stack([db]), observedMap({ db: 'crashed' }), applied);
    expect(plan.actions).toEqual([]);
    expect(plan.blocked[0]?.kind).toBe('gave-up');
    expect(plan.summary.unknown).toBe(0);
  });

  it('is empty when everything matches, listing the enabled services as unchanged', () => {
    const off = service('off', { enabled: false });
    const plan = planActions(stack([db, web, off]), observedMap({ db: 'running', web: 'running', off: 'absent' }), appliedMap([db, web]));
    expect(plan.actions).toEqual([]);
    expect(plan.unchanged).toEqual(['db', 'web']);
    expect(plan.project).toBe('devstack');
    expect(plan.formatVersion).toBe(1);
  });
});

describe('planActions: targets', () => {
  const all = stack([db, web, worker, api]);
  const applied = appliedMap([db, web, worker, api]);

  it('plans only the target when it needs nothing else', () => {
    const plan = planActions(all, observedMap({ db: 'running', web: 'stopped', worker: 'stopped', api: 'stopped' }), applied, { targets: ['web'] });
    expect(steps(plan)).toEqual(['+ web start']);
  });

  it('starts not-running dependencies of a target that starts', () => {
    const plan = planActions(all, observedMap({ db: 'crashed', web: 'stopped', worker: 'stopped', api: 'stopped' }), applied, { targets: ['api'] });
    expect(steps(plan)).toEqual(['+ db start <api', '+ web start <api', '+ api start']);
    expect(plan.actions[0]?.reason).toBe('dependency of api: crashed');
    expect(plan.actions[1]?.reason).toBe('dependency of api: not running');
  });

  it('restarts running dependents of a restarted target', () => {
    const changedDb = service('db', { env: { V: '2' } });
    const observed = observedMap({ db: 'running', web: 'running', worker: 'stopped', api: 'running' });
    const plan = planActions(stack([changedDb, web, worker, api]), observed, applied, { targets: ['db'] });
    expect(steps(plan)).toEqual([
      '~ api stop <db', '~ web stop <db', '~ db stop',
      '~ db start', '~ web start <db', '~ api start <db',
    ]);
    expect(plan.actions[0]?.reason).toBe('depends on db');
    expect(plan.summary.restart).toBe(3);
  });

  it('stops running dependents of a stopped target without starting them', () => {
    const observed = observedMap({ db: 'running', web: 'running', worker: 'running', api: 'stopped' });
    const plan = planActions(stack([{ ...db, state: 'stopped' }, web, worker, api]), observed, applied, { targets: ['db'] });
    expect(steps(plan)).toEqual(['- worker stop <db', '- web stop <db', '- db stop']);
    expect(plan.summary.stop).toBe(3);
  });

  it('stops running dependents of a target declared stopped that is already stopped', () => {
    const observed = observedMap({ db: 'stopped', web: 'running', worker: 'stopped', api: 'running' });
    const plan = planActions(stack([{ ...db, state: 'stopped' }, web, worker, api]), observed, applied, { targets: ['db'] });
    expect(steps(plan)).toEqual(['- api stop <db', '- web stop <db']);
    expect(plan.actions.map((a) => a.stopsWith)).toEqual(['web', 'db']);
  });

  it('keeps a dependent\'s own reason when it would change anyway', () => {
    const changedDb = service('db', { env: { V: '2' } });
    const changedWeb = service('web', { dependsOn: ['db'], env: { W: '1' } });
    const observed = observedMap({ db: 'running', web: 'running', worker: 'stopped', api: 'stopped' });
    const plan = planActions(stack([changedDb, changedWeb, worker, api]), observed, applied, { targets: ['db'] });
    expect(plan.actions.filter((a) => a.service === 'web').map((a) => a.reason)).toEqual(['spec changed: env.W', 'spec changed: env.W']);
    expect(plan.actions.filter((a) => a.service === 'web').every((a) => a.pulledInBy === 'db')).toBe(true);
  });

  it('starts again what stopped only because the target went away, not what was stopped otherwise', () => {
    const stoppedWith = (entry: typeof db, dep: string): [string, AppliedService] => [entry.name, appliedFrom(entry, { stoppedWith: dep })];
    // web and api stopped with db (`stack stop db`); worker was stopped by other means.
    const records = new Map([...appliedMap([db, worker]), stoppedWith(web, 'db'), stoppedWith(api, 'web')]);
    const observed = observedMap({ db: 'stopped', web: 'stopped', worker: 'stopped', api: 'stopped' });
    const plan = planActions(all, observed, records, { targets: ['db'] });
    expect(steps(plan)).toEqual(['+ db start', '+ web start <db', '+ api start <db']);
    expect(plan.actions.map((a) => a.reason)).toEqual(['not running', 'dependency db back', 'dependency web back']);
    // A dependent the file now declares stopped stays stopped, and so does what needs it.
    const held = planActions(stack([db, { ...web, state: 'stopped' }, worker, api]), observed, records, { targets: ['db'] });
    expect(steps(held)).toEqual(['+ db start']);
  });

  it('starts what a dependent coming back needs too', () => {
    const cache = service('cache');
    const both = service('both', { dependsOn: ['db', 'cache'] });
    const records = new Map([...appliedMap([db, cache]), ['both', appliedFrom(both, { stoppedWith: 'db' })] as [string, AppliedService]]);
    const plan = planActions(stack([db, cache, both]), observedMap({ db: 'stopped', cache: 'crashed', both: 'stopped' }), records, { targets: ['db'] });
    expect(steps(plan)).toEqual(['+ db start', '+ cache start <db', '+ both start <db']);
    expect(plan.actions[1]?.reason).toBe('dependency of both: crashed');
  });

  it('names targets that exist nowhere', () => {
    expect(unknownTargets(all, new Map([['gone', appliedFrom(service('gone'))]]), ['web', 'gone', 'nope', 'nope'])).toEqual(['nope']);
  });
});
