import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/reconcile/plan.js';
import { renderPlanHuman } from '../../src/reconcile/render-human.js';
import { renderPlanJson } from '../../src/reconcile/render-json.js';
import type { ObservedService, PortConflict } from '../../src/model/observed.js';
import type { Plan } from '../../src/model/plan.js';
import { appliedMap, observedMap, service, stack } from './factory.js';

const steps = (plan: Plan) => plan.actions.map((a) => `${a.symbol} ${a.service} ${a.op}`);
const held: PortConflict = { port: 5432, pid: 4242, command: 'postgres -D /var/lib/pg' };

function withConflicts(entries: Record<string, ObservedService['phase']>, conflicts: Record<string, PortConflict[]>) {
  const observed = observedMap(entries);
  for (const [name, list] of Object.entries(conflicts)) observed.set(name, { ...(observed.get(name) as ObservedService), portConflicts: list });
  return observed;
}

describe('planActions: ports held by other processes', () => {
  const db = service('db', { ports: [{ port: 5432 }] });
  const web = service('web', { dependsOn: ['db'] });
  const api = service('api', { dependsOn: ['web'] });
  const other = service('other');

  it('blocks only the service whose port is held, and what needs it to start', () => {
    const plan = planActions(stack([db, web, api, other]), withConflicts({ db: 'absent', web: 'absent', api: 'stopped', other: 'absent' }, { db: [held] }), new Map());
    expect(steps(plan)).toEqual(['+ other install', '+ other start']);
    expect(plan.blocked).toEqual([
      { service: 'db', kind: 'port-conflict', reason: 'port 5432 is in use by pid 4242 (postgres -D /var/lib/pg)' },
      { service: 'web', kind: 'dependency', reason: 'dependency db is blocked' },
      { service: 'api', kind: 'dependency', reason: 'dependency web is blocked' },
    ]);
    expect(plan.summary.unknown).toBe(0);
    expect(renderPlanHuman(plan, { color: false })).toBe(
      [
        '  + other  install    new service',
        '  + other  start      new service',
        '  ! db     port 5432 is in use by pid 4242 (postgres -D /var/lib/pg)',
        '  ! web    dependency db is blocked',
        '  ! api    dependency web is blocked',
        '',
        'Plan: 1 to install, 1 to start, 3 blocked.',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(renderPlanJson(plan)).blocked[0]).toEqual({ service: 'db', kind: 'port-conflict', reason: 'port 5432 is in use by pid 4242 (postgres -D /var/lib/pg)' });
  });

  it('leaves a running dependent alone, and names a holder it cannot see', () => {
    const plan = planActions(
      stack([db, web]),
      withConflicts({ db: 'stopped', web: 'running' }, { db: [{ port: 5432, host: '127.0.0.1' }] }),
      appliedMap([db, web]),
    );
    expect(steps(plan)).toEqual([]);
    expect(plan.blocked).toEqual([
      { service: 'db', kind: 'port-conflict', reason: 'port 127.0.0.1:5432 is in use by another process (not ours; its owner is not visible to this user)' },
    ]);
  });

  it('ignores conflicts of a service that is not going to start', () => {
    const stopped = service('db', { ports: [{ port: 5432 }], state: 'stopped' });
    const plan = planActions(stack([stopped]), withConflicts({ db: 'absent' }, { db: [held] }), new Map());
    expect(steps(plan)).toEqual(['+ db install']);
    expect(plan.blocked).toEqual([]);
  });
});

describe('planActions: dependencies the file itself keeps from running', () => {
  it('blocks a start whose dependency is declared stopped or disabled, and what needs it', () => {
    const web = service('web', { state: 'stopped' });
    const off = service('off', { enabled: false });
    const worker = service('worker', { dependsOn: ['web'] });
    const w2 = service('w2', { dependsOn: ['off'] });
    const after = service('after', { dependsOn: ['worker'] });
    const plan = planActions(stack([web, off, worker, w2, after]), observedMap({ web: 'absent', off: 'absent', worker: 'absent', w2: 'absent', after: 'absent' }), new Map());
    expect(steps(plan)).toEqual(['+ web install']);
    expect(plan.blocked).toEqual([
      { service: 'worker', kind: 'dependency', reason: 'dependency web is declared stopped (state: stopped)' },
      { service: 'w2', kind: 'dependency', reason: 'dependency off is disabled (enabled: false)' },
      { service: 'after', kind: 'dependency', reason: 'dependency worker is blocked' },
    ]);
  });

  it('blocks a start whose dependency gave up: no apply starts that one until `stack restart`', () => {
    // Found by the property "planning again after carrying out the plan gives no actions": the
    // dependent was planned to start beside a dependency no apply would start.
    const db = service('db');
    const web = service('web', { dependsOn: ['db'] });
    const applied = new Map([['db', { ...appliedMap([db]).get('db')!, restarts: 5, gaveUp: true }]]);
    const plan = planActions(stack([db, web]), observedMap({ db: 'crashed', web: 'absent' }), applied);
    expect(steps(plan)).toEqual([]);
    expect(plan.blocked).toEqual([
      { service: 'db', kind: 'gave-up', reason: 'gave up after 5 restarts; run stack restart db' },
      { service: 'web', kind: 'dependency', reason: 'dependency db is blocked' },
    ]);
  });

  it('stops a running dependent with the dependency, and what needs it in turn, as `stack stop` does', () => {
    const web = service('web', { state: 'stopped' });
    const worker = service('worker', { dependsOn: ['web'] });
    const after = service('after', { dependsOn: ['worker'] });
    const other = service('other');
    const plan = planActions(stack([web, worker, after, other]), observedMap({ web: 'running', worker: 'running', after: 'running', other: 'running' }), appliedMap([web, worker, after, other]));
    expect(steps(plan)).toEqual(['- after stop', '- worker stop', '- web stop']);
    expect(plan.actions.map((a) => [a.service, a.reason, a.stopsWith])).toEqual([
      ['after', 'dependency worker stops', 'worker'],
      ['worker', 'dependency web is declared stopped (state: stopped)', 'web'],
      ['web', 'state: stopped in stack.yaml', undefined],
    ]);
    // They stop as the file says; the next plan shows them blocked until web runs again.
    expect(plan.blocked).toEqual([]);
    expect(plan.unchanged).toEqual(['other']);
  });

  it('stops a running dependent of a disabled service, and blocks the start of one that needs a service that stops', () => {
    const off = service('off', { enabled: false });
    const worker = service('worker', { dependsOn: ['off'] });
    const after = service('after', { dependsOn: ['worker'] });
    const plan = planActions(stack([off, worker, after]), observedMap({ off: 'running', worker: 'running', after: 'crashed' }), appliedMap([off, worker, after]));
    expect(steps(plan)).toEqual(['- worker stop', '- off stop', '- off uninstall']);
    expect(plan.actions[0]).toMatchObject({ reason: 'dependency off is disabled (enabled: false)', stopsWith: 'off' });
    expect(plan.blocked).toEqual([{ service: 'after', kind: 'dependency', reason: 'dependency worker stops' }]);
  });

  it('starts a dependent stopped with its dependency again once that one runs: `dependency db back`', () => {
    const db = service('db');
    const web = service('web', { dependsOn: ['db'] });
    const applied = new Map([...appliedMap([db]), ['web', { ...appliedMap([web]).get('web')!, stoppedWith: 'db' }]]);
    const plan = planActions(stack([db, web]), observedMap({ db: 'stopped', web: 'stopped' }), applied);
    expect(plan.actions.map((a) => `${a.symbol} ${a.service} ${a.op}: ${a.reason}`)).toEqual(['+ db start: not running', '+ web start: dependency db back']);
  });

  it('still stops a changed dependent before the dependency the file now declares stopped', () => {
    const web = service('web');
    const worker = service('worker', { dependsOn: ['web'], env: { A: '1' } });
    const applied = appliedMap([web, worker]);
    const plan = planActions(stack([service('web', { state: 'stopped' }), service('worker', { dependsOn: ['web'], env: { A: '2' } })]), observedMap({ web: 'running', worker: 'running' }), applied);
    expect(steps(plan)).toEqual(['- worker stop', '- web stop']);
    expect(plan.blocked).toEqual([{ service: 'worker', kind: 'dependency', reason: 'dependency web is declared stopped (state: stopped)' }]);
    expect(plan.summary).toMatchObject({ stop: 2, restart: 0 });
  });
});
