// One-shot tasks (`kind: task`, issue 29 point 1) and `dependsOn`'s conditions, on real
// processes through the built CLI. Each task and service appends what it does to one `events`
// file, so the order things happened in is read back, not guessed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, rowOf, sleepsWith, waitForPasses, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const eventsOf = (s: Scratch): string[] => (existsSync(join(s.dir, 'events')) ? readFileSync(join(s.dir, 'events'), 'utf8').split('\n').filter(Boolean) : []);

/** `migrate` (a task: waits a moment, then records itself and the inputs it read) and `web`, which needs it completed. */
function migrateAndWeb(m: string, options: { exit?: number; successExitCodes?: string; dependsOn?: string } = {}): string {
  return [
    'version: 1',
    'services:',
    '  migrate:',
    '    kind: task',
    `    command: [sh, -c, 'sleep 0.3; echo "migrate $$(cat migrations/*.sql | tr "\\n" " ")" >> events; exit $$CODE']`,
    `    env: { CODE: "${options.exit ?? 0}" }`,
    '    inputs: ["migrations/*.sql"]',
    ...(options.successExitCodes ? [`    successExitCodes: ${options.successExitCodes}`] : []),
    '  web:',
    `    command: [sh, -c, 'echo web-up >> events; exec sleep ${m}']`,
    `    dependsOn: ${options.dependsOn ?? '{ migrate: completed }'}`,
    '',
  ].join('\n');
}

const scratch = (yaml: string): Scratch => cleanup.scratch(yaml);

/** A stack with `migrations/001.sql`, the task's one input so far. */
function withMigrations(yaml: string): Scratch {
  const s = scratch(yaml);
  mkdirSync(join(s.dir, 'migrations'));
  writeFileSync(join(s.dir, 'migrations', '001.sql'), 'one\n');
  return s;
}

describe('kind: task', () => {
  it('runs migrate to completion before web starts, once per spec and inputs', () => {
    const m = cleanup.marker(uniqueMarker());
    const s = withMigrations(migrateAndWeb(m));
    const planned = stack(['plan', '-f', s.file]);
    expect(planned.stdout).toMatch(/\+ migrate\s+run\s+new task/);
    expect(planned.stdout).toContain('Plan: 1 to run, 2 to install, 1 to start.');

    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/migrate started .*: completed \(exit code 0\)/);
    expect(eventsOf(s)).toEqual(['migrate one ', 'web-up']);
    expect(sleepsWith(m)).toHaveLength(1);
    expect(rowOf(s.file, 'migrate')).toMatchObject({ observed: 'completed', exit: { code: 0, signal: null } });
    expect(stack(['status', '-f', s.file]).stdout).toMatch(/migrate\s+process\s+running\s+completed \(0\) \d+s ago/);

    // Done: a second apply runs nothing.
    const again = stack(['apply', '--yes', '-f', s.file]);
    expect(again.code, again.stderr).toBe(0);
    expect(stack(['plan', '-f', s.file]).stdout).toContain('No changes.');
    expect(eventsOf(s)).toEqual(['migrate one ', 'web-up']);

    // An input file added: it runs again (and web, which only waited for it, stays as it is).
    writeFileSync(join(s.dir, 'migrations', '002.sql'), 'two\n');
    expect(stack(['plan', '-f', s.file]).stdout).toMatch(/\+ migrate\s+run\s+spec changed: files \(added migrations\/002\.sql\)/);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(eventsOf(s)).toEqual(['migrate one ', 'web-up', 'migrate one two ']);

    // Its command edited: it runs again.
    s.write(migrateAndWeb(m).replace('sleep 0.3;', 'sleep 0.2;'));
    expect(stack(['plan', '-f', s.file]).stdout).toMatch(/\+ migrate\s+run\s+spec changed: command/);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(eventsOf(s)).toHaveLength(4);
    expect(stack(['plan', '-f', s.file]).stdout).toContain('No changes.');
  });

  it('an input naming one file that is not there yet is no file: planned and run; once written, it runs again', () => {
    const s = scratch(['version: 1', 'services:', '  seed:', '    kind: task', '    command: [sh, -c, "echo seeded >> events"]', '    inputs: ["seed.sql"]', ''].join('\n'));
    const planned = stack(['plan', '-f', s.file]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toMatch(/\+ seed\s+run\s+new task/);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(eventsOf(s)).toEqual(['seeded']);
    writeFileSync(join(s.dir, 'seed.sql'), 'one\n');
    expect(stack(['plan', '-f', s.file]).stdout).toMatch(/\+ seed\s+run\s+spec changed: files \(added seed\.sql\)/);
  });

  it('a failed task blocks what needs it, says so, and exits non-zero until its spec changes', () => {
    const m = cleanup.marker(uniqueMarker());
    const s = withMigrations(migrateAndWeb(m, { exit: 2 }));
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/migrate .*task failed: exited with code 2/);
    expect(applied.stdout).toContain('- web skipped: dependency migrate failed');
    expect(eventsOf(s)).toEqual(['migrate one ']);
    expect(sleepsWith(m)).toHaveLength(0);

    const row = rowOf(s.file, 'migrate');
    expect(row).toMatchObject({ observed: 'failed', exit: { code: 2 } });
    const status = stack(['status', '-f', s.file]).stdout;
    expect(status).toMatch(/migrate\s+process\s+running\s+failed \(2\)/);
    expect(status).not.toContain('crashed');

    // Not run again with the same spec: the plan says why, and what it blocks.
    const planned = stack(['plan', '-f', s.file, '--json']);
    expect(JSON.parse(planned.stdout)).toMatchObject({
      actions: [],
      blocked: [
        { service: 'migrate', kind: 'task-failed', reason: expect.stringMatching(/^task failed: exited with code 2; it runs again once/) },
        { service: 'web', kind: 'dependency', reason: 'task migrate failed: exited with code 2' },
      ],
    });
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(1);
    expect(eventsOf(s)).toEqual(['migrate one ']);

    // Fixed: it runs, and web starts after it.
    s.write(migrateAndWeb(m, { exit: 0 }));
    const fixed = stack(['apply', '--yes', '-f', s.file]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(eventsOf(s)).toEqual(['migrate one ', 'migrate one ', 'web-up']);
  });

  it('successExitCodes: an exit code listed there is a success', () => {
    const m = cleanup.marker(uniqueMarker());
    const s = withMigrations(migrateAndWeb(m, { exit: 3, successExitCodes: '[0, 3]' }));
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(eventsOf(s)).toEqual(['migrate one ', 'web-up']);
    expect(stack(['status', '-f', s.file]).stdout).toMatch(/completed \(3\)/);
  });

  it('a watch controller does not run a completed task again', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = withMigrations(migrateAndWeb(m));
    const watch = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 10_000, 'the "watching" line');
    await waitFor(() => eventsOf(s).includes('web-up'), 15_000, 'web to start after migrate');
    await waitForPasses(s.dir, 3, 20_000);
    expect(eventsOf(s)).toEqual(['migrate one ', 'web-up']);
    expect(rowOf(s.file, 'migrate')).toMatchObject({ observed: 'completed' });
  });
});

describe('dependsOn conditions', () => {
  // db becomes ready only once web has started: waiting for db's readiness would never end.
  const yaml = (m: string, dependsOn: string) =>
    [
      'version: 1',
      'services:',
      '  db:',
      `    command: [sh, -c, 'while [ ! -f web-up ]; do sleep 0.05; done; echo db-ready; exec sleep ${m}']`,
      '    ready: { log: db-ready, timeout: 3s }',
      '  web:',
      `    command: [sh, -c, 'touch web-up; exec sleep ${m}']`,
      `    dependsOn: ${dependsOn}`,
      '',
    ].join('\n');

  it('started does not wait for readiness; the list form still does', () => {
    const m = cleanup.marker(uniqueMarker());
    const started = scratch(yaml(m, '{ db: started }'));
    const applied = stack(['apply', '--yes', '-f', started.file]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(sleepsWith(m)).toHaveLength(2);

    const m2 = cleanup.marker(uniqueMarker());
    const listed = scratch(yaml(m2, '[db]'));
    const waited = stack(['apply', '--yes', '-f', listed.file]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/db .*not ready/);
    expect(existsSync(join(listed.dir, 'web-up'))).toBe(false);
  });

  it('completed on a service that is not a task is refused at its position', () => {
    const s = scratch(['version: 1', 'services:', '  db:', '    command: [sleep, "1"]', '  web:', '    command: [sleep, "1"]', '    dependsOn: { db: completed }', ''].join('\n'));
    const result = stack(['validate', '-f', s.file]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('stack.yaml:7:18: services.web.dependsOn.db:');
    expect(result.stderr).toContain('"db" is not a task (kind: task), so it never completes');
  });
});
