import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LoadCache } from '../../src/config/load-cache.js';
import { laterCache, parseCacheFor, parseCacheIn } from '../../src/state/parse-cache.js';

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
    const good = join(root, 'good.json');
    await parseCacheIn(good, 'b1').write(value);
    const fifo = join(root, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(await parseCacheIn(fifo, 'b1').read()).toBeUndefined();
    await mkdir(join(root, 'dir.json'));
    expect(await parseCacheIn(join(root, 'dir.json'), 'b1').read()).toBeUndefined();
    // A link, even to a good cache: /dev/zero would be read until memory runs out.
    for (const target of ['/dev/zero', good]) {
      await symlink(target, join(root, 'link.json'));
      expect(await parseCacheIn(join(root, 'link.json'), 'b1').read()).toBeUndefined();
      await rm(join(root, 'link.json'));
    }
    const large = join(root, 'large.json');
    await writeFile(large, JSON.stringify({ build: 'b1', ...value, text: 'x'.repeat(9 * 1024 * 1024) }), { mode: 0o600 });
    expect(await parseCacheIn(large, 'b1').read()).toBeUndefined();
  });

  it('trusts only a file and folder of this user that no one else can write', async () => {
    const dir = join(root, 'parse');
    const file = join(dir, 'a.json');
    await parseCacheIn(file, 'b1').write(value);
    expect(await parseCacheIn(file, 'b1').read()).toEqual(value);
    await chmod(file, 0o620);
    expect(await parseCacheIn(file, 'b1').read()).toBeUndefined();
    await chmod(file, 0o600);
    await chmod(dir, 0o777);
    expect(await parseCacheIn(file, 'b1').read()).toBeUndefined();
    await parseCacheIn(join(dir, 'b.json'), 'b1').write(value);
    await expect(stat(join(dir, 'b.json'))).rejects.toThrow();
    await chmod(dir, 0o700);
    if (process.geteuid?.() === 0) {
      await chown(file, 65_534, 65_534);
      expect(await parseCacheIn(file, 'b1').read()).toBeUndefined();
    }
  });

  it('forgets what it saved, and temp files a dead writer left', async () => {
    const dir = join(root, 'parse');
    await parseCacheIn(join(dir, 'a.json'), 'b1').write(value);
    await parseCacheIn(join(dir, 'a.json'), 'b1').forget();
    expect(await parseCacheIn(join(dir, 'a.json'), 'b1').read()).toBeUndefined();
    await writeFile(join(dir, 'x.json.1.tmp'), '');
    await utimes(join(dir, 'x.json.1.tmp'), 1, 1);
    await parseCacheIn(join(dir, 'b.json'), 'b1').write(value);
    expect(await readdir(dir)).toEqual(['b.json']);
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

describe('laterCache: a long-running process updates the cache after acting', () => {
  it('does an update only after its delay, the last one handed over, and before any read', async () => {
    const file = join(root, 'parse', 'later.json');
    const store = laterCache(parseCacheIn(file, 'b1'), 60_000);
    const done: string[] = [];
    const update = (text: string) => async () => {
      done.push(text);
      await store.write({ ...value, text });
    };
    store.later(update('first'));
    store.later(update('second'));
    expect(done).toEqual([]);
    expect(await parseCacheIn(file, 'b1').read()).toBeUndefined();
    // A load now reads what the waiting update writes, not what the file held.
    expect((await store.read())?.text).toBe('second');
    expect(done).toEqual(['second']);
    expect((await store.read())?.text).toBe('second');
    expect(done).toEqual(['second']);
  });

  it('does it by itself once the delay passes, and a failing update is dropped', async () => {
    const file = join(root, 'parse', 'timed.json');
    const store = laterCache(parseCacheIn(file, 'b1'), 20);
    store.later(() => Promise.reject(new Error('disk full')));
    await expect(store.read()).resolves.toBeUndefined();
    store.later(() => store.write(value));
    await vi.waitFor(async () => expect(await parseCacheIn(file, 'b1').read()).toEqual(value), { timeout: 5000 });
  });
});
