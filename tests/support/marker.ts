/**
 * A number no other test process uses at the same time: `sleep <marker>` marks one test's
 * processes in /proc. Eleven digits each (`1`, the worker's pid in seven, a count in three), so
 * one marker is never the start of another; a test may append digits of its own (`<marker><i>`).
 */
let count = 0;

export function uniqueMarker(): string {
  count = (count + 1) % 1000;
  return `1${String(process.pid % 10_000_000).padStart(7, '0')}${String(count).padStart(3, '0')}`;
}
