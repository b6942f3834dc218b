// log: probes on a linear-time engine, reading only what the log gained since the last attempt.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compileLinePattern, MAX_LINE_BYTES, newLogCursor, scanLog } from '../../src/providers/log-pattern.js';
import { waitForProbe } from '../../src/providers/probes.js';
import { monotonicMs } from '../../src/os/monotonic.js';
import { frameLine, stampOf } from '../../src/model/log-line.js';
import { makeTempDir, probe, removeDir } from './helpers.js';

let dir: string | undefined;
afterEach(async () => {
  await removeDir(dir);
  dir = undefined;
});

async function logWith(text: string): Promise<string> {
  dir = await makeTempDir();
  const file = path.join(dir, 'service.log');
  await writeFile(file, text);
  return file;
}

describe('log patterns', () => {
  it('a catastrophic pattern on a long line ends (a backtracking engine would not, for ages)', async () => {
    const file = await logWith(`${'a'.repeat(60_000)}b\n`);
    const result = await waitForProbe(probe({ kind: 'log', pattern: '^(a+)+$' }, 500, 100), { logFile: file });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('not seen in the log yet') });
  });

  it('the event loop keeps turning while a large log is matched', async () => {
    const file = await logWith(`${'x'.repeat(1000)}\n`.repeat(20_000));
    const pattern = await compileLinePattern('^(x+x+)+y$');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const cursor = newLogCursor(0);
    await scanLog(file, cursor, pattern, monotonicMs() + 60_000);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('each attempt reads on from the last one, at most 4 MiB, and a line is seen once it ends', async () => {
    const file = await logWith(`${'y'.repeat(99)}\n`.repeat(100_000));
    const pattern = await compileLinePattern('server ready');
    const cursor = newLogCursor(0);
    expect(await scanLog(file, cursor, pattern, monotonicMs() + 60_000)).toBe('not-seen');
    expect(cursor.next).toBe(4 * 1024 * 1024);
    expect(await scanLog(file, cursor, pattern, monotonicMs() + 60_000)).toBe('not-seen');
    expect(cursor.next).toBe(8 * 1024 * 1024);
    expect(await scanLog(file, cursor, pattern, monotonicMs() + 60_000)).toBe('not-seen');
    expect(cursor.next).toBe(10_000_000);
    await appendFile(file, 'server re');
    expect(await scanLog(file, cursor, pattern, monotonicMs() + 60_000)).toBe('not-seen');
    await appendFile(file, 'ady on 80\n');
    expect(await scanLog(file, cursor, pattern, monotonicMs() + 60_000)).toBe('seen');
  });

  it('an endless line is kept to its first 64 KiB', async () => {
    const file = await logWith('z'.repeat(MAX_LINE_BYTES * 3));
    const cursor = newLogCursor(0);
    await scanLog(file, cursor, await compileLinePattern('never'), monotonicMs() + 60_000);
    expect(cursor.partial.length).toBe(MAX_LINE_BYTES);
  });

  it('RE2 refuses what it cannot run in linear time, as a final failure', async () => {
    await expect(compileLinePattern('(a)\\1')).rejects.toThrow(/invalid escape/);
    const file = await logWith('aa\n');
    const result = await waitForProbe(probe({ kind: 'log', pattern: '(?=a)' }, 5000, 100), { logFile: file });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('invalid pattern') });
  });
});

describe('log patterns on framed logs (model/log-line.ts)', () => {
  it("match what the service wrote, its frame left out (^ anchors at its text), never stack's own lines", async () => {
    const at = stampOf(new Date());
    const file = await logWith(frameLine({ text: '── web started ──', stream: 'stack', at }));
    const cursor = newLogCursor(0);
    expect(await scanLog(file, cursor, await compileLinePattern('started'), monotonicMs() + 60_000)).toBe('not-seen');
    await appendFile(file, frameLine({ text: 'listening on :8080', stream: 'stderr', at }));
    expect(await scanLog(file, cursor, await compileLinePattern('^listening on :\\d+$'), monotonicMs() + 60_000)).toBe('seen');
  });
});
