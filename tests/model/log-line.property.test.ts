import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FRAME_BYTES, frameLine, lineFilter, normalStamp, parseLogLine, stampOf, type LogLine } from '../../src/model/log-line.js';

const stamp = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }).chain((date) => fc.integer({ min: 0, max: 999 }).map((micros) => stampOf(date, micros)));
// A service's line: any text without a newline (the relay splits there).
const text = fc.string({ unit: 'binary', maxLength: 80 }).map((value) => value.replaceAll('\n', ' '));
const line = fc.record({ text, stream: fc.constantFrom('stdout' as const, 'stderr' as const, 'stack' as const), at: stamp, continues: fc.constantFrom(undefined, true as const) });

describe('the framed log line (model/log-line.ts)', () => {
  it('reads back every line it frames: text byte for byte, stream, time, and a piece of a longer line', () => {
    fc.assert(
      fc.property(line, (framed) => {
        const raw = frameLine(framed);
        expect(raw.endsWith('\n')).toBe(true);
        expect(raw.slice(FRAME_BYTES, -1)).toBe(framed.text);
        const { continues, ...rest } = framed;
        expect(parseLogLine(raw.slice(0, -1))).toEqual({ ...rest, ...(continues && framed.stream !== 'stack' ? { continues } : {}) });
      }),
    );
  });

  it('takes a bare line (a log from before framing, a line cut at its start) as stdout with no time, never throwing', () => {
    fc.assert(
      fc.property(text, (bare) => {
        const read = parseLogLine(bare);
        // A bare line that happens to look framed is read as framed: the frame is strict enough that no service line of ours does.
        if (read.at === undefined) expect(read).toEqual({ text: bare, stream: 'stdout' });
      }),
    );
    expect(parseLogLine('2026-12-05T10:54:27.123456Z x not a kind')).toEqual({ text: '2026-12-05T10:54:27.123456Z x not a kind', stream: 'stdout' });
    expect(parseLogLine('2026-12-05 10:54:27 o spaces, not a frame')).toMatchObject({ stream: 'stdout' });
    expect(parseLogLine('')).toEqual({ text: '', stream: 'stdout' });
  });

  it('sorts framed times as the times they are, and normalises docker\'s', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true, min: new Date('2000-01-01Z'), max: new Date('2099-01-01Z') }), fc.date({ noInvalidDate: true, min: new Date('2000-01-01Z'), max: new Date('2099-01-01Z') }), (a, b) => {
        expect(Math.sign(stampOf(a).localeCompare(stampOf(b)))).toBe(Math.sign(a.getTime() - b.getTime()));
      }),
    );
    expect(normalStamp('2026-12-05T10:54:27.123456789Z')).toBe('2026-12-05T10:54:27.123456Z');
    expect(normalStamp('2026-12-05T10:54:27Z')).toBe('2026-12-05T10:54:27.000000Z');
    expect(normalStamp('yesterday')).toBeUndefined();
  });

  it('keeps what since, until and match allow; a line without a time passes neither time bound', () => {
    const at = (iso: string): LogLine => ({ text: iso, stream: 'stdout', at: normalStamp(iso) as string });
    const keep = lineFilter({ since: new Date('2026-12-05T10:00:00Z'), until: new Date('2026-12-05T11:00:00.5Z') }) as (line: LogLine) => boolean;
    expect(['2026-12-05T09:59:59.999999Z', '2026-12-05T10:00:00Z', '2026-12-05T11:00:00.500999Z', '2026-12-05T11:00:00.501Z'].map((iso) => keep(at(iso)))).toEqual([false, true, true, false]);
    expect(keep({ text: 'old', stream: 'stdout' })).toBe(false);
    expect(lineFilter({})).toBeUndefined();
    expect(lineFilter({ match: (line) => line.stream === 'stderr' })?.({ text: 'x', stream: 'stderr' })).toBe(true);
  });
});
