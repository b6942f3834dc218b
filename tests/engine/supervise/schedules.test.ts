// The controller's schedules on a simulated clock: when each comes due, the overlap policies,
// a machine that slept, a wall clock that was set, and a schedule edited or removed.
import { describe, expect, it } from 'vitest';
import { Schedules, type ScheduledEnd, type ScheduleNews } from '../../../src/engine/supervise/schedules.js';
import { scheduleOf, type ScheduleInput } from '../../../src/config/schedule.js';
import type { DesiredService } from '../../../src/model/desired.js';
import { SimulatedTime } from '../../support/clock.js';

const START = Date.parse('2026-12-05T13:00:00.000Z');

function task(name: string, schedule: ScheduleInput, more: Partial<DesiredService> = {}): DesiredService {
  return { name, enabled: true, state: 'running', kind: 'task', task: { successExitCodes: [0], inputs: [], schedule: scheduleOf(schedule) }, ...more } as DesiredService;
}

/** A host whose runs end when the test says: `end(name)`. */
function harness(options: { autoEnd?: boolean } = {}) {
  const timers = new SimulatedTime(START);
  // The wall clock can be set back; the timers' clock cannot.
  let offset = 0;
  const time = { now: () => timers.now() + offset, nowIso: () => new Date(timers.now() + offset).toISOString(), monotonicMs: () => timers.now(), increment: (ms: number) => timers.increment(ms), setBack: (ms: number) => void (offset -= ms) };
  const told: string[] = [];
  const runs: { name: string; replace: boolean; at: string; end: (result: ScheduledEnd) => void }[] = [];
  let outside = new Set<string>();
  const schedules = new Schedules({
    time,
    timers,
    isRunning: (name) => outside.has(name),
    run: (name, replace) => new Promise<ScheduledEnd>((resolve) => {
      runs.push({ name, replace, at: time.nowIso().slice(11, 19), end: resolve });
      if (options.autoEnd) resolve({ ran: true, ok: true });
    }),
    told: (news: ScheduleNews) => told.push(`${time.nowIso().slice(11, 19)} ${news.service} ${news.what}${'reason' in news && news.reason ? `: ${news.reason}` : ''}`),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return {
    time, told, runs, schedules,
    /** Moves the clock in 1 s steps, letting the runs' promises settle between them. */
    async advance(ms: number) {
      for (let step = 0; step < ms; step += 1000) {
        time.increment(Math.min(1000, ms - step));
        await settle();
      }
    },
    async end(name: string, result: ScheduledEnd = { ran: true, ok: true }) {
      const run = runs.find((each) => each.name === name && each.end !== undefined);
      run?.end(result);
      if (run) (run as { end?: unknown }).end = undefined;
      await settle();
      await settle();
    },
    running(names: string[]) {
      outside = new Set(names);
    },
  };
}

describe('schedules', () => {
  it('runs each task when it comes due: an interval from the start, a cron time by the clock', async () => {
    const h = harness({ autoEnd: true });
    h.schedules.update([task('tick', '20s'), task('quarter', '*/15 * * * *')]);
    expect(Object.fromEntries(h.schedules.nextRuns())).toEqual({ tick: '2026-12-05T13:00:20.000Z', quarter: '2026-12-05T13:15:00.000Z' });
    await h.advance(20_000);
    expect(h.runs.map((run) => `${run.at} ${run.name}`)).toEqual(['13:00:20 tick']);
    await h.advance(15 * 60_000 - 20_000);
    expect(h.runs.map((run) => `${run.at} ${run.name}`).filter((line) => line.endsWith('quarter'))).toEqual(['13:15:00 quarter']);
    expect(h.runs.filter((run) => run.name === 'tick')).toHaveLength(45);
    expect(h.told.slice(0, 2)).toEqual(['13:00:20 tick run', '13:00:20 tick ended']);
  });

  it('skip (the default): a run due while the last one goes on is skipped and said so', async () => {
    const h = harness();
    h.schedules.update([task('slow', '10s')]);
    await h.advance(35_000);
    expect(h.runs).toHaveLength(1);
    expect(h.told).toEqual(['13:00:10 slow run', '13:00:20 slow skipped: its last run has not ended', '13:00:30 slow skipped: its last run has not ended']);
    await h.end('slow');
    await h.advance(5_000);
    expect(h.runs.map((run) => run.at)).toEqual(['13:00:10', '13:00:40']);
  });

  it('queue: one run waits for the last one to end, then begins at once; a second one due meanwhile is skipped', async () => {
    const h = harness();
    h.schedules.update([task('q', { every: '10s', overlap: 'queue' })]);
    await h.advance(35_000);
    expect(h.told).toEqual(['13:00:10 q run', '13:00:20 q queued', '13:00:30 q skipped: a run already waits for the last one to end']);
    await h.advance(2_000);
    await h.end('q');
    expect(h.runs.map((run) => run.at)).toEqual(['13:00:10', '13:00:37']);
    expect(h.told.at(-1)).toBe('13:00:37 q run');
  });

  it('replace: the run due stops the one still going', async () => {
    const h = harness();
    h.schedules.update([task('r', { every: '10s', overlap: 'replace' })]);
    await h.advance(20_000);
    expect(h.runs.map((run) => [run.at, run.replace])).toEqual([['13:00:10', false], ['13:00:20', true]]);
    // The replaced run's end does not clear the new one: the next is a replace again.
    await h.end('r', { ran: true, ok: false, reason: 'was killed by SIGTERM' });
    expect(h.told).toEqual(['13:00:10 r run', '13:00:20 r replaced', '13:00:20 r ended: stopped: the next scheduled run replaced it']);
    await h.advance(10_000);
    expect(h.runs.map((run) => [run.at, run.replace])).toEqual([['13:00:10', false], ['13:00:20', true], ['13:00:30', true]]);
  });

  it('a run another caller started (stack restart) counts as the last run, and a queued one waits for its end', async () => {
    const h = harness();
    h.schedules.update([task('skip', '10s'), task('q', { every: '10s', overlap: 'queue' })]);
    h.running(['skip', 'q']);
    await h.advance(10_000);
    expect(h.runs).toEqual([]);
    h.running([]);
    await h.advance(1_000);
    expect(h.runs.map((run) => `${run.at} ${run.name}`)).toEqual(['13:00:11 q']);
  });

  it('a machine that slept through ten due times runs once on waking; a wall clock set back waits for the due time', async () => {
    const h = harness();
    h.schedules.update([task('t', '1m')]);
    // One jump of 10 min 30 s: the timer fires once, late.
    h.time.increment(630_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.runs.map((run) => run.at)).toEqual(['13:10:30']);
    expect(h.schedules.nextRuns().get('t')).toBe('2026-12-05T13:11:00.000Z');
    await h.end('t');
    // The clock set back 5 minutes: the timer wakes early, sees the due time not reached, and waits again.
    h.time.setBack(300_000);
    await h.advance(60_000);
    expect(h.runs).toHaveLength(1);
    await h.advance(5 * 60_000);
    expect(h.runs.map((run) => run.at)).toEqual(['13:10:30', '13:11:00']);
  });

  it('an edit re-arms a changed schedule; state: stopped, disabled or removed disarms it; stop() disarms all', async () => {
    const h = harness();
    h.schedules.update([task('a', '10s'), task('b', '10s'), task('c', '10s')]);
    await h.advance(5_000);
    h.schedules.update([task('a', '1m'), task('b', '10s', { state: 'stopped' }), task('c', '10s')]);
    expect(Object.fromEntries(h.schedules.nextRuns())).toEqual({ a: '2026-12-05T13:01:05.000Z', c: '2026-12-05T13:00:10.000Z' });
    h.schedules.update([task('a', '1m'), task('c', '10s', { enabled: false })]);
    expect([...h.schedules.nextRuns().keys()]).toEqual(['a']);
    h.schedules.stop();
    await h.advance(120_000);
    expect(h.runs).toEqual([]);
  });
});
