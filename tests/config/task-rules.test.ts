import { describe, expect, it } from 'vitest';
import { issueLines, load, yaml } from './helpers.js';

const stack = (...lines: string[]) => load(yaml('version: 1', 'services:', ...lines));

describe('kind: task and dependsOn conditions', () => {
  it('resolves a task and the map form; the list form keeps meaning ready', () => {
    const loaded = stack(
      '  migrate: { kind: task, command: [sh, m.sh], successExitCodes: [3, 0], inputs: ["db/*.sql"] }',
      '  db: { command: [db] }',
      '  web: { command: [web], dependsOn: { migrate: completed, db: started } }',
      '  api: { command: [api], dependsOn: [db] }',
    );
    expect(issueLines(loaded)).toEqual([]);
    const [migrate, db, web, api] = loaded.desired?.services ?? [];
    expect(migrate).toMatchObject({ kind: 'task', task: { successExitCodes: [0, 3], inputs: ['db/*.sql'] }, restart: { policy: 'no' } });
    expect(db?.kind).toBeUndefined();
    expect(web).toMatchObject({ dependsOn: ['migrate', 'db'], conditions: { migrate: 'completed', db: 'started' } });
    expect(api?.dependsOn).toEqual(['db']);
    expect(api?.conditions).toBeUndefined();
  });

  it('says where a task key or condition does not fit', () => {
    const loaded = stack(
      '  db: { command: [db], successExitCodes: [0] }',
      '  migrate: { kind: task, command: [m], ready: { tcp: 5432 }, restart: { policy: always } }',
      '  web: { command: [web], dependsOn: { db: completed, nope: ready, migrate: finished } }',
    );
    expect(issueLines(loaded)).toEqual([
      '3:24 successExitCodes applies to tasks, and "db" is not one',
      '4:40 a task runs to completion and has no ready: probe',
      '4:73 restart: { policy: always } would run a task again each time it completes',
      '5:26 expected a map of service name → started, ready or completed, as in dependsOn: { db: ready }',
      '5:39 "db" is not a task (kind: task), so it never completes',
      '5:54 service "web" depends on "nope", which is not a service in this file',
    ]);
  });
});
