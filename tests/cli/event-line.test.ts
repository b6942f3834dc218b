import { describe, expect, it } from 'vitest';
import type { EventBody, StackEvent } from '../../src/api/protocol.js';
import { formatEvent } from '../../src/cli/event-line.js';

// 03:04:05 on this machine's clock, whatever its time zone.
const at = new Date(2026, 0, 2, 3, 4, 5).toISOString();
const line = (event: StackEvent) => formatEvent({ formatVersion: 1, at, ...event } as EventBody, false);

const cases: [StackEvent, string][] = [
  [{ type: 'following', pid: 42 }, '03:04:05 following the controller (pid 42); Ctrl+C ends'],
  [{ type: 'phase', service: 'web', phase: 'running', previous: 'starting' }, '03:04:05 web running (was starting)'],
  [{ type: 'probe', service: 'web', kind: 'ready', ok: true }, '03:04:05 ✓ web ready probe passes'],
  [{ type: 'probe', service: 'web', kind: 'health', ok: false, reason: 'connection refused' }, '03:04:05 ! web health probe fails: connection refused'],
  [{ type: 'exited', service: 'web', code: 1, signal: null }, '03:04:05 ! web exited with code 1'],
  [{ type: 'exited', service: 'web', code: null, signal: null }, '03:04:05 ! web exited (how is not known: it was started before this controller)'],
  [{ type: 'exited', service: 'web', code: null, signal: 'SIGKILL' }, '03:04:05 ! web was killed by SIGKILL'],
  [{ type: 'restarting', service: 'web', attempt: 2, maxRestarts: 5, delayMs: 400 }, '03:04:05 ↻ web restarting (restart 2 of 5)'],
  [
    { type: 'gave-up', service: 'web', restarts: 5, maxRestarts: 5, reason: 'exited with code 1', starting: false },
    '03:04:05 ✗ web keeps crashing: gave up after 5 restarts (restart.maxRestarts is 5); last run: exited with code 1 (run `stack restart web` or edit it in stack.yaml)',
    ],
  [{ type: 'running', service: 'web', again: true }, '03:04:05 ✓ web running again'],
  [{ type: 'running', service: 'web', again: false }, '03:04:05 ✓ web running (a retry of its failed start)'],
  [{ type: 'leftovers', service: 'web', error: 'EPERM' }, '03:04:05 ✗ web: what its last run left running could not be stopped: EPERM'],
  [{ type: 'file-changed', paths: ['stack.yaml', '.env'] }, '03:04:05 changed: stack.yaml, .env'],
  [{ type: 'invalid-file', message: 'services.web.command: required' }, '03:04:05 ✗ stack.yaml is invalid; keeping the last good state running: services.web.command: required'],
  [{ type: 'plan', reason: 'file changed', actions: ['start web', 'stop db'], blocked: ['cache'] }, '03:04:05 plan (file changed): start web, stop db; blocked: cache'],
  [{ type: 'plan', reason: 'interval', actions: [], blocked: [] }, '03:04:05 plan (interval): no changes'],
  [{ type: 'reconciled', reason: 'file changed', converged: true, failed: [] }, '03:04:05 ✓ reconciled (file changed)'],
  [{ type: 'reconciled', reason: 'interval', converged: false, failed: [] }, '03:04:05 reconcile (interval) done, not converged yet'],
  [{ type: 'reconciled', reason: 'crash', converged: false, failed: [{ service: 'web', error: 'not ready' }, { service: 'db' }] }, '03:04:05 ✗ reconcile (crash) failed: web (not ready), db'],
  [{ type: 'run', by: 'stack apply' }, '03:04:05 stack apply began'],
  [{ type: 'run', by: 'stack apply', exitCode: 1 }, '03:04:05 stack apply ended (exit 1)'],
  [{ type: 'schedule', service: 'backup', schedule: '*/15 * * * *', what: 'run' }, '03:04:05 ⏱ backup: a scheduled run began (*/15 * * * *)'],
  [{ type: 'schedule', service: 'backup', schedule: 'every 1m', what: 'skipped', reason: 'its last run has not ended' }, '03:04:05 ! backup: a scheduled run was skipped: its last run has not ended (every 1m)'],
  [{ type: 'schedule', service: 'backup', schedule: 'every 1m', what: 'queued' }, '03:04:05 ⏱ backup: a scheduled run waits for the last one to end (every 1m)'],
  [{ type: 'schedule', service: 'backup', schedule: 'every 1m', what: 'replaced' }, '03:04:05 ⏱ backup: a scheduled run replaces the one still going (every 1m)'],
  [{ type: 'schedule', service: 'backup', schedule: 'every 1m', what: 'ended', ok: false, reason: 'task failed: exited with code 2' }, '03:04:05 ✗ backup: its scheduled run failed: task failed: exited with code 2'],
  [{ type: 'schedule', service: 'backup', schedule: 'every 1m', what: 'ended', ok: true }, '03:04:05 ✓ backup: its scheduled run completed'],
  [{ type: 'dev', service: 'web', what: 'changed', paths: ['src/a.ts', 'src/b.ts', 'src/c.ts', 'src/d.ts'] }, '03:04:05 ✎ web: changed: src/a.ts, src/b.ts, src/c.ts and 1 more'],
  [{ type: 'dev', service: 'web', what: 'building' }, '03:04:05 web: building'],
  [{ type: 'dev', service: 'web', what: 'build-failed', reason: 'exited with code 2', output: ['error TS2304'] }, '03:04:05 ✗ web: build failed: exited with code 2; the running process is kept'],
  [{ type: 'dev', service: 'web', what: 'restarted', with: ['api'] }, '03:04:05 ✓ web: restarted with api'],
  [{ type: 'dev', service: 'web', what: 'start-failed', reason: 'exited with code 1' }, '03:04:05 ✗ web: its new start failed: exited with code 1; waiting for the next change'],
];

describe('stack events: one line per event', () => {
  it.each(cases)('%j', (event, expected) => {
    expect(line(event)).toBe(expected);
  });

  it('covers every event type of the protocol', () => {
    // Exhaustive by type: a type added to StackEvent fails to compile here until it is listed, and then until a case has it.
    const types: Record<StackEvent['type'], true> = {
    following: true, phase: true, probe: true, exited: true, restarting: true, 'gave-up': true, running: true,
    leftovers: true, 'file-changed': true, 'invalid-file': true, plan: true, reconciled: true, run: true, schedule: true, dev: true,
    };
    expect(new Set(cases.map(([event]) => event.type))).toEqual(new Set(Object.keys(types)));
  });

  it('skips a type this version does not know, and colours only when asked', () => {
    expect(formatEvent({ formatVersion: 1, at, type: 'later-kind' } as unknown as EventBody, false)).toBeUndefined();
    expect(formatEvent({ formatVersion: 1, at, type: 'running', service: 'web', again: true }, true)).toContain('\u001b[');
  });
});
