/**
 * Time as the engine sees it (docs/architecture.md, "The clock"): read through a `Clock` that is passed in, never
 * from `Date` directly, so a test can set it. The real one is `systemClock` (src/os/clock.ts).
 */
export interface Clock {
  /** Wall time in milliseconds since the epoch (`Date.now()`): comparable with recorded times. */
  now(): number;
  /** Wall time as an ISO string, as the state file records it (`at`, `startedAt`). */
  nowIso(): string;
  /** Milliseconds on a monotonic clock, for durations: never jumps when the wall clock is set. */
  monotonicMs(): number;
}

/**
 * The timers of the machines: what xstate takes as its clock (its own type is not exported). A
 * test drives both from one xstate `SimulatedClock` (tests/support/clock.ts), whose `now()` is
 * the `Clock`'s wall time.
 */
export interface MachineClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}
