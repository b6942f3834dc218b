import { SimulatedClock } from 'xstate';
import type { Clock } from '../../src/model/clock.js';

/**
 * One simulated time for both notions: xstate's SimulatedClock drives the machines' timers, and
 * its `now()` is the wall and monotonic time the engine reads. `increment(ms)` moves both.
 */
export class SimulatedTime extends SimulatedClock implements Clock {
  constructor(startMs = Date.parse('2026-01-01T00:00:00.000Z')) {
    super();
    this.set(startMs);
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  monotonicMs(): number {
    return this.now();
  }
}
