// Scheduled tasks (issue 29, point 2) on real processes under a real controller (`stack watch`):
// they run when due (interval and cron), overlap policies, paused by state: stopped, a dependency
// not ready skips a run, status shows the last run and the next, apply without a controller says
// who runs them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../src/model/log-line.js';
import { Cleanup, statusJson, type Scratch } from '../support/controller.js';
import { processesWith, stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => cleanup.marker(String(70_000 + Math.floor(Math.random() * 9_000)));

/** The task's log as text lines (its own and stack's). */
const logOf = (s: Scratch, name: string): string[] => {
  try {
    return readFileSync(join(s.dir, '.stack', 'logs', `${name}.log`), 'utf8').split('\n').slice(0, -1).map((line) => parseLogLine(line).text);
  } catch {
    return [];
  }
};

interface ScheduledRow { name: string; observed: string; schedule?: string; nextRun?: string | null }
const rowOf = (s: Scratch, name: string) => statusJson(s.file).services.find((row) => row.name === name) as ScheduledRow | undefined;

async function watch(s: Scratch) {
  const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
  await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
  return controller;
}

describe('scheduled tasks', () => {
  it('run when due under a controller, by interval and by cron; status shows the last run and the next; apply alone says who runs them', async () => {
    const m = marker();
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  tick:',
        '    kind: task',
        `    command: [sh, -c, 'echo tick ${m}']`,
        '    schedule: 1s',
        '  cron:',
        '    kind: task',
        `    command: [sh, -c, 'echo cron ${m}']`,
        '    schedule: "*/1 * * * * *"',
        '',
      ].join('\n'),
    );
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code).toBe(0);
    expect(applied.stderr).toContain('note: tick, cron run on a schedule, and schedules run under a controller: start one with stack watch, stack up or stack up -d');
    expect(logOf(s, 'tick')).toEqual([]);
    expect(rowOf(s, 'tick')).toMatchObject({ observed: 'stopped', schedule: 'every 1s', nextRun: null });
    expect(stack(['status', '-f', s.file], { env: { ...process.env, NO_COLOR: '1' } }).stdout).toMatch(/tick .*not run yet, no controller runs its schedule/);

    await watch(s);
    await waitFor(() => logOf(s, 'tick').filter((line) => line === `tick ${m}`).length >= 3 && logOf(s, 'cron').filter((line) => line === `cron ${m}`).length >= 3, 15_000, 'three runs of each');
    expect(logOf(s, 'tick').slice(0, 3)).toEqual(['── tick started ──', `tick ${m}`, '── tick completed ──']);
    const row = rowOf(s, 'tick');
    expect(row?.schedule).toBe('every 1s');
    expect(Date.parse(row?.nextRun ?? '') - Date.now()).toBeLessThanOrEqual(1_500);
    expect(rowOf(s, 'cron')?.schedule).toBe('*/1 * * * * *');
    expect(stack(['status', '-f', s.file], { env: { ...process.env, NO_COLOR: '1' } }).stdout).toMatch(/tick .*(completed \(0\) \d+s ago|running|starting), next in \ds/);
    const events = stack(['events', '--since', '1m', '--no-follow', '-f', s.file], { env: { ...process.env, NO_COLOR: '1' } }).stdout;
    expect(events).toMatch(/⏱ tick: a scheduled run began \(every 1s\)/);
    expect(events).toMatch(/✓ cron: its scheduled run completed/);
  });

  it('overlap: skip leaves the run going and says so; replace stops it for the new one; queue runs them back to back', async () => {
    const m = marker();
    const job = (name: string, overlap: string, seconds: number) =>
      [`  ${name}:`, '    kind: task', `    command: [sh, -c, 'echo begin; sleep ${seconds}; echo end # ${m}']`, `    schedule: { every: 1s, overlap: ${overlap} }`];
    const s = cleanup.scratch(['version: 1', 'services:', ...job('skip', 'skip', 2.5), ...job('replace', 'replace', 100), ...job('queue', 'queue', 1.5), ''].join('\n'));
    stack(['apply', '--yes', '-f', s.file]);
    await watch(s);
    await waitFor(() => logOf(s, 'queue').filter((line) => line === 'end').length >= 2 && logOf(s, 'replace').filter((line) => line === 'begin').length >= 3 && logOf(s, 'skip').filter((line) => line === 'end').length >= 1, 20_000, 'runs of each');

    const skip = logOf(s, 'skip');
    expect(skip).toContain('── skip: a scheduled run was skipped: its last run has not ended ──');
    // Never two at once: each begin is followed by its end before the next begin.
    const order = skip.filter((line) => line === 'begin' || line === 'end');
    expect(order.join(' ')).toMatch(/^(begin end ?)+(begin)?$/);

    expect(logOf(s, 'replace')).toContain('── replace: a scheduled run replaces the one still going ──');
    expect(logOf(s, 'replace')).toContain('── replace failed: stopped: the next scheduled run replaced it ──');
    // One run alive at a time: the one replaced was stopped.
    expect(processesWith(`sleep 100; echo end # ${m}`).length).toBeLessThanOrEqual(1);

    const queue = logOf(s, 'queue');
    expect(queue).toContain('── queue: a scheduled run waits for the last one to end ──');
    expect(queue.filter((line) => line === 'begin' || line === 'end').join(' ')).toMatch(/^(begin end ?)+(begin)?$/);
  });

  it('stack stop pauses a schedule (status says so) and start resumes it; a run whose dependency is not ready is skipped with the reason', async () => {
    const m = marker();
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  db:',
        `    command: [sleep, '${m}']`,
        '    state: stopped',
        '  report:',
        '    kind: task',
        `    command: [sh, -c, 'echo report ${m}']`,
        '    schedule: 1s',
        '    dependsOn: [db]',
        '  tick:',
        '    kind: task',
        `    command: [sh, -c, 'echo tick ${m}']`,
        '    schedule: 1s',
        '',
      ].join('\n'),
    );
    stack(['apply', '--yes', '-f', s.file]);
    await watch(s);
    await waitFor(() => logOf(s, 'report').some((line) => /^── report: a scheduled run was skipped: .*db/.test(line)), 10_000, 'report skipped for db');
    expect(logOf(s, 'report')).not.toContain(`report ${m}`);

    await waitFor(() => logOf(s, 'tick').includes(`tick ${m}`), 10_000, 'a run of tick');
    expect(stack(['stop', 'tick', '-f', s.file]).code).toBe(0);
    await waitFor(() => rowOf(s, 'tick')?.nextRun === null, 10_000, 'tick paused');
    expect(stack(['status', '-f', s.file], { env: { ...process.env, NO_COLOR: '1' } }).stdout).toMatch(/tick .*, schedule paused/);
    const runs = logOf(s, 'tick').filter((line) => line === `tick ${m}`).length;
    // Two due times pass with nothing run.
    const pausedAt = Date.now();
    await waitFor(() => Date.now() - pausedAt > 2_500 && rowOf(s, 'tick')?.nextRun === null, 10_000, 'two due times to pass');
    expect(logOf(s, 'tick').filter((line) => line === `tick ${m}`).length).toBe(runs);
    expect(stack(['start', 'tick', '-f', s.file]).code).toBe(0);
    await waitFor(() => logOf(s, 'tick').filter((line) => line === `tick ${m}`).length > runs, 10_000, 'tick to run again');
  });
});
