import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameLine, stampOf } from '../../src/model/log-line.js';
import { offsetOfTime } from '../../src/providers/process/log-times.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-log-times-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = Date.parse('2026-12-05T10:00:00Z');

// A log as the relay writes it: times that never go back (steps of 0 to 3 s), lines of any
// length up to a few KiB, a few bare lines first (a log from before framing).
const log = fc.record({
  bare: fc.array(fc.string({ maxLength: 40 }).map((text) => text.replaceAll('\n', ' ')), { maxLength: 3 }),
  lines: fc.array(fc.record({ step: fc.integer({ min: 0, max: 3000 }), length: fc.oneof(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1000, max: 9000 })) }), { maxLength: 60 }),
});

describe('offsetOfTime: where --since begins, by bisecting the log', () => {
  it('finds the first line at or after any time, the same as reading every line would', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(log, fc.integer({ min: -2000, max: 200_000 }), fc.boolean(), async ({ bare, lines }, offset, onALine) => {
        let at = BASE;
        const records: { start: number; stamp: string | undefined }[] = [];
        let text = '';
        for (const line of bare) {
          records.push({ start: Buffer.byteLength(text), stamp: undefined });
          text += `${line}\n`;
        }
        for (const { step, length } of lines) {
          at += step;
          const stamp = stampOf(new Date(at));
          records.push({ start: Buffer.byteLength(text), stamp });
          text += frameLine({ text: 'x'.repeat(length), stream: 'stdout', at: stamp });
        }
        const file = join(dir, `log-${(round += 1)}.log`);
        writeFileSync(file, text);
        // Often exactly a line's time: where >= and > differ.
        const onLine = lines.length > 0 && onALine ? records[bare.length + (offset >>> 0) % lines.length]?.stamp : undefined;
        const wanted = onLine ?? stampOf(new Date(BASE + offset));
        const size = Buffer.byteLength(text);
        const linear = records.find((record) => record.stamp !== undefined && record.stamp >= wanted)?.start ?? size;
        expect(await offsetOfTime(file, wanted, 0, size)).toBe(linear);
        // `after`: the first line past that time (where --until stops).
        expect(await offsetOfTime(file, wanted, 0, size, true)).toBe(records.find((record) => record.stamp !== undefined && record.stamp > wanted)?.start ?? size);
        // From a later line's start (a run's own lines), never before it.
        const from = records[Math.floor(records.length / 2)]?.start ?? 0;
        expect(await offsetOfTime(file, wanted, from, size)).toBe(Math.max(from, records.find((record) => record.start >= from && record.stamp !== undefined && record.stamp >= wanted)?.start ?? size));
      }),
      { numRuns: 150 },
    );
  });

  it('a missing file is no error: the range starts where it was asked to', async () => {
    expect(await offsetOfTime(join(dir, 'missing.log'), stampOf(new Date(BASE)), 0, 0)).toBe(0);
  });
});
