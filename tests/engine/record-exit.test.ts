import { describe, expect, it } from 'vitest';
import { recordExit, recordFailedStart } from '../../src/engine/record-exit.js';
import type { AppliedService } from '../../src/model/observed.js';
import { appliedFrom, service } from '../reconcile/factory.js';
import { SimulatedTime } from '../support/clock.js';

const clock = new SimulatedTime(Date.parse('2026-03-01T12:00:00.000Z'));
const running = (extra: Partial<AppliedService> = {}): AppliedService =>
  appliedFrom(service('web'), { pid: 4242, pgid: 4242, startTicks: 99, startedAt: '2026-03-01T11:00:00.000Z', stoppedByUs: false, ...extra });

describe('recordExit', () => {
  it('forgets the run and keeps how it ended, with the time the clock gives', () => {
    const record = recordExit(running(), { stoppedByUs: false, exit: { code: 3, signal: null, reason: 'exited' } }, clock);
    expect(record).toMatchObject({ pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: false, lastExit: { code: 3, signal: null, at: '2026-03-01T12:00:00.000Z', reason: 'exited' } });
    expect(record.lastExit).not.toHaveProperty('duringStart');
    expect(record.startedAt).toBe('2026-03-01T11:00:00.000Z');
  });

  it('a stop of stack’s own reads as stopped and ends what a dependency’s stop said', () => {
    const record = recordExit(running({ stoppedWith: 'db' }), { stoppedByUs: true, exit: { code: null, signal: 'SIGTERM', reason: 'stopped by stack' } }, clock);
    expect(record).toMatchObject({ stoppedByUs: true, stoppedWith: undefined, lastExit: { signal: 'SIGTERM', reason: 'stopped by stack' } });
  });

  it('a crash keeps what a dependency’s stop said, and an exit nobody saw keeps the last exit recorded', () => {
    expect(recordExit(running({ stoppedWith: 'db' }), { stoppedByUs: false, exit: { code: 1, signal: null, reason: 'exited' } }, clock).stoppedWith).toBe('db');
    const earlier = { code: 1, signal: null, at: '2026-02-01T00:00:00.000Z', reason: 'exited' };
    expect(recordExit(running({ lastExit: earlier }), { stoppedByUs: true }, clock).lastExit).toEqual(earlier);
  });
});

describe('recordFailedStart', () => {
  const failed = { name: 'web', service: service('web'), error: 'web: executable "x" not found on PATH\nmore' };
  const noRun = (): AppliedService => running({ pid: undefined, pgid: undefined, startTicks: undefined, stoppedByUs: true });

  it('records a crash during the start, its first line without the service prefix, where the provider reads exits from the record', () => {
    const record = recordFailedStart(noRun(), { capabilities: { grouped: true, cheapObserve: true, readsExitsFromRecord: true } }, failed, clock);
    expect(record).toMatchObject({ stoppedByUs: false, lastExit: { code: null, signal: null, at: '2026-03-01T12:00:00.000Z', reason: 'executable "x" not found on PATH', duringStart: true } });
  });

  it('leaves the record alone for a provider that observes the service itself, for a run still recorded, and for no record', () => {
    const record = noRun();
    expect(recordFailedStart(record, { capabilities: { grouped: false, cheapObserve: false, readsExitsFromRecord: false } }, failed, clock)).toBe(record);
    expect(recordFailedStart(record, undefined, failed, clock)).toBe(record);
    const live = running();
    expect(recordFailedStart(live, { capabilities: { grouped: true, cheapObserve: true, readsExitsFromRecord: true } }, failed, clock)).toBe(live);
    expect(recordFailedStart(undefined, { capabilities: { grouped: true, cheapObserve: true, readsExitsFromRecord: true } }, failed, clock)).toBeUndefined();
  });
});
