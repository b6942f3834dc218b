// LogTimeline.merge: several services' tails as one timeline, by a k-way merge in batches.
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/model/log-line.js';
import { LogTimeline, type TimedLine } from '../../src/cli/log-timeline.js';

const at = (second: number, micros = 0) => `2026-12-05T10:00:${String(second).padStart(2, '0')}.${String(micros).padStart(6, '0')}Z`;
const line = (text: string, time?: string): LogLine => (time === undefined ? { text, stream: 'stdout' } : { text, stream: 'stdout', at: time });

function merged(tails: [string, LogLine[]][]): string[] {
  const out: TimedLine[] = [];
  new LogTimeline(300).merge(new Map(tails), (lines) => out.push(...lines));
  return out.map((each) => `${each.service}:${each.text}`);
}

describe('LogTimeline.merge', () => {
  it('orders lines by time across services, to the microsecond; equal times keep the services order', () => {
    const tails: [string, LogLine[]][] = [
      ['web', [line('w1', at(1)), line('w2', at(3, 1)), line('w3', at(5))]],
      ['db', [line('d1', at(0)), line('d2', at(3)), line('d3', at(5))]],
      ['api', []],
    ];
    expect(merged(tails)).toEqual(['db:d1', 'web:w1', 'db:d2', 'web:w2', 'web:w3', 'db:d3']);
  });

  it('keeps a line without a time right after its service line before it', () => {
    const tails: [string, LogLine[]][] = [
      ['old', [line('bare first'), line('o1', at(2)), line('bare after o1'), line('o2', at(4))]],
      ['new', [line('n1', at(1)), line('n2', at(3))]],
    ];
    expect(merged(tails)).toEqual(['old:bare first', 'new:n1', 'old:o1', 'old:bare after o1', 'new:n2', 'old:o2']);
  });

  it('hands a long timeline out in batches, every line once and in order', () => {
    const a = Array.from({ length: 6000 }, (_, i) => line(`a${i}`, at(Math.floor(i / 200), (i % 200) * 2)));
    const b = Array.from({ length: 6000 }, (_, i) => line(`b${i}`, at(Math.floor(i / 200), (i % 200) * 2 + 1)));
    const batches: number[] = [];
    const out: TimedLine[] = [];
    new LogTimeline(300).merge(new Map([['a', a], ['b', b]]), (lines) => (batches.push(lines.length), out.push(...lines)));
    expect(batches.length).toBeGreaterThan(1);
    expect(out).toHaveLength(12_000);
    expect(out.slice(0, 4).map((each) => each.text)).toEqual(['a0', 'b0', 'a1', 'b1']);
    expect(out.every((each, i) => i === 0 || (each.at as string) >= (out[i - 1]?.at as string))).toBe(true);
  });

  it('orders followed lines after the merged tails by the same keys', () => {
    const timeline = new LogTimeline(0);
    timeline.merge(new Map([['web', [line('w1', at(1))]]]), () => undefined);
    timeline.add([{ ...line('bare'), service: 'web' }, { ...line('d1', at(2)), service: 'db' }], 0);
    expect(timeline.due(1).map((each) => each.text)).toEqual(['bare', 'd1']);
  });
});

describe('LogTimeline.due', () => {
  const held = (service: string, text: string, second: number) => ({ service, text, stream: 'stdout' as const, at: `2026-12-05T10:00:${String(second).padStart(2, '0')}.000000Z` });

  it('holds followed lines for a poll interval, so an older line read later still comes first', () => {
    const timeline = new LogTimeline(300);
    timeline.add([held('a', 'a3', 3)], 1000);
    expect(timeline.due(1100)).toEqual([]);
    // b's poll comes later with an older line: it overtakes a's.
    timeline.add([held('b', 'b2', 2)], 1200);
    expect(timeline.due(1300).map((each) => each.text)).toEqual(['b2', 'a3']);
    timeline.add([held('a', 'a4', 4)], 1400);
    expect(timeline.due(1500)).toEqual([]);
    expect(timeline.due(1500, true).map((each) => each.text)).toEqual(['a4']);
    expect(timeline.due(2000, true)).toEqual([]);
  });
});
