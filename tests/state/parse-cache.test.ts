import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadCache } from '../../src/config/load.js';
import { parseCacheFor, parseCacheIn } from '../../src/state/parse-cache.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stack-parse-cache-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const value: LoadCache = { text: 'version: 1\n', parse: { document: { version: 1 }, positions: { at: [1, 1] } }, valid: [] };

describe('the parse cache store', () => {
  it('reads back what it wrote, for the same build only', async () => {
    const file = join(root, 'parse', 'a.json');
    await parseCacheIn(file, 'b1').write(value);
    expect(await parseCacheIn(file, 'b1').read()).toEqual(value);
    expect(await parseCacheIn(file, 'b2').read()).toBeUndefined();
  });

  it('refuses what is not a regular file of a sane size, without waiting on it', async () => {
    const fifo = join(root, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(await parseCacheIn(fifo, 'b1').read()).toBeUndefined();
    expect(await parseCacheIn(root, 'b1').read()).toBeUndefined();
    const large = join(root, 'large.json');
    await writeFile(large, `{"build":"b1","pad":"${'x'.repeat(9 * 1024 * 1024)}"}`);
    expect(await parseCacheIn(large, 'b1').read()).toBeUndefined();
  });

  it('never throws on a write it cannot make', async () => {
    await writeFile(join(root, 'file'), '');
    await expect(parseCacheIn(join(root, 'file', 'a.json'), 'b1').write(value)).resolves.toBeUndefined();
  });

  it('keeps the 64 stack files written last', async () => {
    const dir = join(root, 'parse');
    for (let index = 0; index < 66; index += 1) {
      await parseCacheIn(join(dir, `${index}.json`), 'b1').write(value);
      // Distinct, increasing times: the oldest are the first written.
      await utimes(join(dir, `${index}.json`), index + 1, index + 1);
    }
    await parseCacheIn(join(dir, 'last.json'), 'b1').write(value);
    const left = await readdir(dir);
    expect(left).toHaveLength(64);
    expect(left).not.toContain('0.json');
    expect(left).not.toContain('2.json');
    expect(left).toContain('3.json');
    expect(left).toContain('last.json');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('is kept nowhere when running from source (no build to name it)', () => {
    expect(parseCacheFor('/srv/app/stack.yaml', { HOME: root })).toBeUndefined();
  });
});
