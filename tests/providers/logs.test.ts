import { closeSync, writeSync } from 'node:fs';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  logFileOf,
  openLogForAppend,
  readLogFrom,
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
    expect(await readLogTail(file, 10, 4)).toEqual(['c', 'd']);
    expect(await readLogTail(path.join(dir, 'missing.log'), 5)).toEqual([]);
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
