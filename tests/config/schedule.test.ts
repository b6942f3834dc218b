// A task's `schedule:` (issue 29, point 2): cron (croner) or an interval, when it next comes due,
// and what stack says about one that is wrong, where it is in stack.yaml.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextRunAfter, scheduleOf, scheduleProblem } from '../../src/config/schedule.js';
import { load } from './helpers.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('schedule', () => {
  it('reads the short forms and the long one', () => {
    expect(scheduleOf('*/15  * * * *')).toEqual({ cron: '*/15 * * * *', overlap: 'skip', text: '*/15 * * * *' });
    expect(scheduleOf('30s')).toEqual({ everyMs: 30_000, overlap: 'skip', text: 'every 30s' });
    expect(scheduleOf({ every: '5m', overlap: 'queue' })).toEqual({ everyMs: 300_000, overlap: 'queue', text: 'every 5m' });
    expect(scheduleOf({ cron: '0 3 * * *', timezone: 'Europe/Paris', overlap: 'replace' })).toEqual({ cron: '0 3 * * *', timezone: 'Europe/Paris', overlap: 'replace', text: '0 3 * * * (Europe/Paris)' });
  });

  it('comes due at the next cron time, in the time zone given, seconds first with six fields', () => {
    expect(iso(nextRunAfter(scheduleOf('*/15 * * * *')!, at('2026-12-05T13:07:00Z')))).toBe('2026-12-05T13:15:00.000Z');
    // Exactly on a due time: the next one, never the same instant twice.
    expect(iso(nextRunAfter(scheduleOf('*/15 * * * *')!, at('2026-12-05T13:15:00Z')))).toBe('2026-12-05T13:30:00.000Z');
    expect(iso(nextRunAfter(scheduleOf({ cron: '0 3 * * *', timezone: 'Europe/Paris' })!, at('2026-12-05T13:07:00Z')))).toBe('2026-12-06T02:00:00.000Z');
    expect(iso(nextRunAfter(scheduleOf('*/10 * * * * *')!, at('2026-12-05T13:07:03Z')))).toBe('2026-12-05T13:07:10.000Z');
    expect(iso(nextRunAfter(scheduleOf('@hourly')!, at('2026-12-05T13:07:00Z')))).toBe('2026-12-05T14:00:00.000Z');
  });

  it('counts an interval from when the schedule began, skipping the times already past', () => {
    const every = scheduleOf('10s')!;
    const anchor = at('2026-12-05T13:00:00Z');
    expect(iso(nextRunAfter(every, anchor, anchor))).toBe('2026-12-05T13:00:10.000Z');
    // A machine that slept 95 s wakes to one run due at the next step, not nine.
    expect(iso(nextRunAfter(every, anchor + 95_000, anchor))).toBe('2026-12-05T13:01:40.000Z');
  });

  it('the next run is always after the time asked about, and an interval lands on its steps (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 10 ** 9 }), (seconds, anchorOffset, after) => {
        const anchor = 1.7e12 + anchorOffset;
        const spec = scheduleOf({ every: `${seconds}s` })!;
        const next = nextRunAfter(spec, 1.7e12 + after, anchor)!;
        expect(next).toBeGreaterThan(1.7e12 + after);
        expect((next - anchor) % (seconds * 1000)).toBe(0);
        expect(next - (1.7e12 + after)).toBeLessThanOrEqual(seconds * 1000 + Math.max(0, anchor - (1.7e12 + after)));
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom('*/5 * * * *', '0 3 * * 1-5', '30 */2 * * *', '@daily', '*/7 * * * * *'), fc.integer({ min: 0, max: 10 ** 11 }), (cron, after) => {
        expect(nextRunAfter(scheduleOf(cron)!, 1.7e12 + after)!).toBeGreaterThan(1.7e12 + after);
      }),
    );
  });

  it('says what is wrong, under which key', () => {
    const probe = at('2026-01-01T00:00:00Z');
    expect(scheduleProblem('*/15 * * *', probe)).toEqual({ key: 'cron', message: expect.stringMatching(/^not a cron expression: .*exactly five, six, or seven/) });
    expect(scheduleProblem('61 * * * *', probe)).toEqual({ key: 'cron', message: 'not a cron expression: Invalid value for minute: 61' });
    expect(scheduleProblem({ cron: '0 3 * * *', timezone: 'Mars/Base' }, probe)).toEqual({ key: 'timezone', message: 'unknown time zone "Mars/Base" (an IANA name such as Europe/Paris or America/New_York)' });
    expect(scheduleProblem({ every: '500ms' }, probe)).toEqual({ key: 'every', message: 'a schedule runs at most once a second, got 500ms' });
    expect(scheduleProblem({ every: '1h', timezone: 'UTC' }, probe)?.key).toBe('timezone');
    expect(scheduleProblem({ every: '1h', cron: '* * * * *' }, probe)).toEqual({ message: 'a schedule has cron or every, not both' });
    expect(scheduleProblem({}, probe)).toEqual({ message: 'a schedule needs cron (a cron expression) or every (an interval)' });
    for (const good of ['*/15 * * * *', '30s', '@weekly', '0 0 1 1 *']) expect(scheduleProblem(good, probe)).toBeUndefined();
  });

  it('a wrong schedule is one issue with its line and column; one on a service, or waited for, is refused with a hint', () => {
    const text = [
      'version: 1',
      'services:',
      '  backup:',
      '    kind: task',
      '    command: ./backup.sh',
      '    schedule: { cron: "0 3 * * *", timezone: Mars/Base }',
      '  web:',
      '    command: sleep 100',
      '    schedule: 30s',
      '  api:',
      '    command: sleep 100',
      '    dependsOn: { backup: completed }',
      '  rotate:',
      '    kind: task',
      '    command: ./rotate.sh',
      '    schedule: { every: 1h, overlap: sometimes }',
      '',
    ].join('\n');
    const issues = load(text).issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.path}: ${issue.message}${issue.hint ? ` (${issue.hint})` : ''}`);
    expect(issues).toEqual([
      '6:36 services.backup.schedule.timezone: unknown time zone "Mars/Base" (an IANA name such as Europe/Paris or America/New_York)',
      '9:5 services.web.schedule: schedule applies to tasks, and "web" is not one (add kind: task for a command that runs to completion)',
      '12:18 services.api.dependsOn.backup: "backup" runs on a schedule, so "api" cannot wait for it (remove backup from dependsOn; a scheduled task\'s own dependsOn makes it wait for what it needs)',
      '16:5 services.rotate.schedule: overlap: expected skip, queue or replace, got "sometimes"',
    ]);
  });

  it('resolves onto the task, and the plan never runs it: the controller does', () => {
    const loaded = load('version: 1\nservices:\n  backup: { kind: task, command: [b], schedule: "0 3 * * *" }\n');
    expect(loaded.issues).toEqual([]);
    expect(loaded.desired?.services[0]?.task?.schedule).toEqual({ cron: '0 3 * * *', overlap: 'skip', text: '0 3 * * *' });
  });
});
