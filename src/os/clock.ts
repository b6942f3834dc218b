import type { Clock } from '../model/clock.js';
import { monotonicMs } from './monotonic.js';

/** The real time: what the engine reads unless a test passes its own clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  nowIso: () => new Date().toISOString(),
  monotonicMs,
};
