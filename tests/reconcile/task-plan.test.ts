// The planner's rows for tasks (kind: task) and dependsOn's conditions: pure, no processes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DependencyCondition, DesiredService } from '../../src/model/desired.js';
import type { AppliedService, ObservedService } from '../../src/model/observed.js';
import { planActions } from '../../src/reconcile/plan.js';
import { specOf } from '../../src/reconcile/spec.js';
import { appliedFrom, service, stack } from './factory.js';

const task = (name: string, command = ['sh', 'migrate.sh']): DesiredService => ({
  ...service(name, { command, restart: { policy: 'no', maxRestarts: 5, backoff: { initialMs: 500, maxMs: 30_000, resetMs: 10_000 } } }),
  kind: 'task',
  task: { successExitCodes: [0], inputs: [] },
});

const web = (conditions?: Record<string, DependencyCondition>): DesiredService => ({
  ...service('web'),
  dependsOn: ['migrate'],
  ...(conditions ? { conditions } : {}),
});

/** A task's record after a run of its current spec that exited with `code`. */
function ran(svc: DesiredService, code: number): AppliedService {
  return appliedFrom(svc, { taskRun: { ok: code === 0, code, signal: null, at: '2026-12-01T10:00:00.000Z', specHash: specOf(svc).specHash } });
}

const ended = (name: string, record: AppliedService): ObservedService => ({ name, phase: 'stopped', ...(record.taskRun ? { task: record.taskRun } : {}) });

describe('planning tasks', () => {
  it('a new task runs, and says run in its action', () => {
    const plan = planActions(stack([task('migrate')]), new Map([['migrate', { name: 'migrate', phase: 'absent' }]]), new Map());
    expect(plan.actions).toEqual([
      expect.objectContaining({ service: 'migrate', op: 'install', reason: 'new task' }),
      expect.objectContaining({ service: 'migrate', op: 'start', reason: 'new task', task: true }),
    ]);
  });

  it('a task completed with its current spec plans nothing; a changed one runs again', () => {
    const migrate = task('migrate');
    const record = ran(migrate, 0);
    const done = planActions(stack([migrate]), new Map([['migrate', ended('migrate', record)]]), new Map([['migrate', record]]));
    expect(done.actions).toEqual([]);
    expect(done.unchanged).toEqual(['migrate']);
    const edited = task('migrate', ['sh', 'migrate.sh', '--all']);
    const again = planActions(stack([edited]), new Map([['migrate', ended('migrate', record)]]), new Map([['migrate', record]]));
    expect(again.actions).toEqual([expect.objectContaining({ service: 'migrate', op: 'start', reason: 'spec changed: command', task: true })]);
  });

  it('a failed task is blocked, and so is what waits for it, except what waits only for its start', () => {
    const migrate = task('migrate');
    const record = ran(migrate, 2);
    const observed = (dependent: DesiredService) => new Map([['migrate', ended('migrate', record)], [dependent.name, { name: dependent.name, phase: 'absent' as const }]]);
    for (const conditions of [undefined, { migrate: 'completed' as const }, { migrate: 'ready' as const }]) {
      const plan = planActions(stack([migrate, web(conditions)]), observed(web(conditions)), new Map([['migrate', record]]));
      expect(plan.blocked).toEqual([
        expect.objectContaining({ service: 'migrate', kind: 'task-failed' }),
        { service: 'web', kind: 'dependency', reason: 'task migrate failed: exited with code 2' },
      ]);
      expect(plan.actions).toEqual([]);
    }
    const started = web({ migrate: 'started' });
    const plan = planActions(stack([migrate, started]), observed(started), new Map([['migrate', record]]));
    expect(plan.actions.map((action) => `${action.service}:${action.op}`)).toEqual(['web:install', 'web:start']);
  });

  it('whatever its last exit, a task with its run recorded plans the same twice, and a success plans nothing (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.boolean(), (code, edited) => {
        const migrate = task('migrate');
        const record = ran(migrate, code);
        const desired = stack([edited ? task('migrate', ['sh', 'other.sh']) : migrate, web()]);
        const observed = new Map([['migrate', ended('migrate', record)], ['web', { name: 'web', phase: 'absent' as const }]]);
        const applied = new Map([['migrate', record]]);
        const first = planActions(desired, observed, applied);
        expect(planActions(desired, observed, applied)).toEqual(first);
        const runs = first.actions.filter((action) => action.service === 'migrate');
        if (edited) expect(runs).toHaveLength(1);
        else if (code === 0) expect(runs).toEqual([]);
        else expect(first.blocked.map((entry) => entry.service)).toEqual(['migrate', 'web']);
      }),
    );
  });

  it('a plan never runs a scheduled task: it installs it, leaves a run going, and stops one only when stack.yaml says stopped', () => {
    const backup = (command = ['sh', 'backup.sh'], state: 'running' | 'stopped' = 'running'): DesiredService => {
      const base = task('backup', command);
      return { ...base, state, task: { successExitCodes: [0], inputs: [], schedule: { cron: '0 3 * * *', overlap: 'skip', text: '0 3 * * *' } } };
    };
    const fresh = planActions(stack([backup()]), new Map([['backup', { name: 'backup', phase: 'absent' }]]), new Map());
    expect(fresh.actions).toEqual([expect.objectContaining({ service: 'backup', op: 'install', reason: 'new task; runs on its schedule (0 3 * * *)' })]);

    // Whatever its last run did, edited or not, running or not: nothing runs it but its schedule.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.boolean(), fc.constantFrom('stopped' as const, 'running' as const), (code, edited, phase) => {
        const record = ran(backup(), code);
        const desired = stack([edited ? backup(['sh', 'other.sh']) : backup()]);
        const observed = new Map([['backup', phase === 'stopped' ? ended('backup', record) : { name: 'backup', phase }]]);
        const plan = planActions(desired, observed, new Map([['backup', record]]));
        expect([plan.actions, plan.blocked]).toEqual([[], []]);
      }),
    );
    const paused = planActions(stack([backup(undefined, 'stopped')]), new Map([['backup', { name: 'backup', phase: 'running' }]]), new Map([['backup', ran(backup(), 0)]]));
    expect(paused.actions).toEqual([expect.objectContaining({ service: 'backup', op: 'stop', reason: 'state: stopped in stack.yaml' })]);
  });
});
