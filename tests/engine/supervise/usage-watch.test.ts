import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageWatch } from '../../../src/engine/supervise/usage-watch.js';
import type { MemoryWatchdog } from '../../../src/engine/supervise/memory-watchdog.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A watch over no services, with a watchdog that counts its checks and says whether it has a limit to keep. */
function watchWith(active: { now: boolean }) {
  let checks = 0;
  const watchdog = { get active() { return active.now; }, check: () => (checks++, []) } as unknown as MemoryWatchdog;
  const watch = new UsageWatch(() => ({ applied: new Map(), observed: new Map(), redact: (text: string) => text }), () => true, async () => new Map(), watchdog);
  return { watch, checks: () => checks };
}

describe('the usage tick', () => {
  it('reads every second while the watchdog has a limit to keep, every 2 s otherwise, following it as it changes', () => {
    vi.useFakeTimers();
    const active = { now: true };
    const { watch, checks } = watchWith(active);
    watch.start();
    expect(checks()).toBe(1);
    vi.advanceTimersByTime(3000);
    expect(checks()).toBe(4);
    active.now = false;
    vi.advanceTimersByTime(1000);
    expect(checks()).toBe(5);
    vi.advanceTimersByTime(1999);
    expect(checks()).toBe(5);
    vi.advanceTimersByTime(1);
    expect(checks()).toBe(6);
    watch.stop();
    vi.advanceTimersByTime(10_000);
    expect(checks()).toBe(6);
  });
});
