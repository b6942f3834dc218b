/**
 * Milliseconds on a monotonic clock, for deadlines and ages. Not `performance.now()`: that
 * global loads node:perf_hooks on first use, ~2 ms of a command's start (`stack plan`).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
