import { describe, expect, it } from 'vitest';
import { LogTimeline, type TimedLine } from '../../src/cli/log-timeline.js';

const line = (service: string, text: string, second?: number): TimedLine => ({ service, text, stream: 'stdout', ...(second === undefined ? {} : { at: `2026-12-05T10:00:${String(second).padStart(2, '0')}.000000Z` }) });

describe('LogTimeline: several services as one timeline', () => {
  it('merges tails by time; equal times keep the order given; a line without a time stays after its service\'s line before it', () => {
    const timeline = new LogTimeline(300);
    const merged = timeline.merge([
      [line('a', 'a1', 1), line('a', 'a-bare'), line('a', 'a5', 5)],
      [line('b', 'b0', 0), line('b', 'b1', 1), line('b', 'b9', 9)],
    ]);
    expect(merged.map((each) => each.text)).toEqual(['b0', 'a1', 'a-bare', 'b1', 'a5', 'b9']);
  });

  it('holds followed lines for a poll interval, so an older line read later still comes first', () => {
    const timeline = new LogTimeline(300);
    timeline.add([line('a', 'a3', 3)], 1000);
    expect(timeline.due(1100)).toEqual([]);
    // b's poll comes later with an older line: it overtakes a's.
    timeline.add([line('b', 'b2', 2)], 1200);
    expect(timeline.due(1300).map((each) => each.text)).toEqual(['b2', 'a3']);
    timeline.add([line('a', 'a4', 4)], 1400);
    expect(timeline.due(1500)).toEqual([]);
    expect(timeline.due(1500, true).map((each) => each.text)).toEqual(['a4']);
    expect(timeline.due(2000, true)).toEqual([]);
  });
});
