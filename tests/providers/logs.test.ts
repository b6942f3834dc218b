import { closeSync, writeSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  endedOutputWritten,
  logFileOf,
  noteRelay,
  openLogForAppend,
  readLogFrom,
  MAX_TAIL_BYTES,
  readLogTail,
  rotateLogIfLarge,
} from '../../src/providers/process/logs.js';
import { makeTempDir, removeDir } from './helpers.js';

let dir: string | undefined;
afterEach(async () => removeDir(dir));

describe('logs', () => {
  it('puts a service log under .stack/logs', () => {
    expect(logFileOf('/p/.stack', 'nats')).toBe('/p/.stack/logs/nats.log');
  });

  it.each(['../x', 'a/b', '', '.hidden', 'UPPER', 'a'.repeat(64)])('refuses the name %j', (name) => {
    expect(() => logFileOf('/p/.stack', name)).toThrow(/invalid service name/);
  });

  it('creates the folders 0700 and says where new output begins', async () => {
    dir = await makeTempDir();
    const stateDir = path.join(dir, '.stack');
    const first = await openLogForAppend(stateDir, 'web');
    writeSync(first.fd, 'one\n');
    closeSync(first.fd);
    expect(first.offset).toBe(0);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(stateDir, 'logs'))).mode & 0o777).toBe(0o700);
    const second = await openLogForAppend(stateDir, 'web');
    writeSync(second.fd, 'two\n');
    closeSync(second.fd);
    expect(second.offset).toBe(4);
    expect(await readLogFrom(first.file, second.offset)).toBe('two\n');
    expect(await readFile(first.file, 'utf8')).toBe('one\ntwo\n');
  });

  it('reads the last lines, optionally only after an offset', async () => {
    dir = await makeTempDir();
    const file = path.join(dir, 'x.log');
    await writeFile(file, 'a\nb\nc\nd\n');
    expect(await readLogTail(file, 2)).toEqual(['c', 'd']);
    expect(await readLogTail(file, 10, { offset: 4 })).toEqual(['c', 'd']);
    expect(await readLogTail(path.join(dir, 'missing.log'), 5)).toEqual([]);
  });

  it('reads back past the last 64 KiB while lines are short of the count, up to its limit; a failure tail stays within 64 KiB', async () => {
    dir = await makeTempDir();
    const file = path.join(dir, 'big.log');
    // 20,000 lines of 110 bytes: 2.1 MB.
    const line = (n: number) => `${String(n).padStart(5, '0')} ${'x'.repeat(103)}`;
    await writeFile(file, `${Array.from({ length: 20_000 }, (_, n) => line(n)).join('\n')}\n`);
    const many = await readLogTail(file, 5000, { maxBytes: MAX_TAIL_BYTES });
    expect(many).toHaveLength(5000);
    expect([many[0], many.at(-1)]).toEqual([line(15_000), line(19_999)]);
    expect(await readLogTail(file, 30_000, { maxBytes: MAX_TAIL_BYTES })).toHaveLength(20_000);
    // Within 64 KiB by default: 595 whole lines.
    expect(await readLogTail(file, 5000)).toHaveLength(Math.floor((64 * 1024 - 1) / 110));
    // Only after an offset (a run's own lines): never before it, however far it reads back.
    expect(await readLogTail(file, 30_000, { offset: 110 * 19_990, maxBytes: MAX_TAIL_BYTES })).toEqual(Array.from({ length: 10 }, (_, n) => line(19_990 + n)));
  });

  it('reads on into the rotated file, past 64 KiB too, when the live one was cut while its service ran', async () => {
    dir = await makeTempDir();
    const file = path.join(dir, 'cut.log');
    const line = (n: number) => `${String(n).padStart(5, '0')} ${'y'.repeat(103)}`;
    await writeFile(`${file}.1`, `${Array.from({ length: 3000 }, (_, n) => line(n)).join('\n')}\n`);
    await writeFile(file, `${line(3000)}\n${line(3001)}\n`);
    const { ino } = await stat(file);
    await writeFile(`${file}.index`, JSON.stringify({ generation: 2, removed: { [ino]: 0 }, files: [{ ino, start: 0, end: 3000 * 110 }] }));
    const tail = await readLogTail(file, 2500, { maxBytes: MAX_TAIL_BYTES });
    expect(tail).toHaveLength(2500);
    expect([tail[0], tail.at(-1)]).toEqual([line(502), line(3001)]);
  });

  it('rotates a log larger than its limit', async () => {
    dir = await makeTempDir();
    const file = path.join(dir, 'x.log');
    await writeFile(file, 'old\n');
    await writeFile(`${file}.1`, 'older\n');
    expect(await rotateLogIfLarge(file, { maxSizeBytes: 100, maxFiles: 2 })).toBe(false);
    await appendFile(file, 'x'.repeat(200));
    expect(await rotateLogIfLarge(file, { maxSizeBytes: 100, maxFiles: 2 })).toBe(true);
    expect(await readFile(`${file}.2`, 'utf8')).toBe('older\n');
    expect((await readFile(`${file}.1`, 'utf8')).startsWith('old\n')).toBe(true);
    await expect(stat(file)).rejects.toThrow();
  });
});

describe('endedOutputWritten', () => {
  it("waits for the relays of the file's ended runs to drain (an end's marker then follows their last lines), not for a run still going", async () => {
    // No timer fires: what resolves, resolves because a relay ended or there was nothing to wait for.
    vi.useFakeTimers();
    try {
      let relayOfEnded!: () => void;
      noteRelay('/logs/t.log', 0, new Promise<void>((resolve) => (relayOfEnded = resolve)), Promise.resolve());
      // A run of the same file still going: its relay never ends while it runs.
      noteRelay('/logs/t.log', 100, new Promise<void>(() => undefined), new Promise<void>(() => undefined));
      await flush();
      let done = false;
      const waiting = endedOutputWritten('/logs/t.log').then(() => (done = true));
      await flush();
      expect(done).toBe(false);
      relayOfEnded();
      await waiting;
      expect(done).toBe(true);
      // Another file's runs, or none ended: nothing to wait for.
      await endedOutputWritten('/logs/other.log');
    } finally {
      vi.useRealTimers();
    }
  });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}
