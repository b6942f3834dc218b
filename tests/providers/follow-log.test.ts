// LogFollower.atEnd: `stack logs -f` (and `up`) begin "now", which may fall inside a line.
import { parseLogLine } from '../../src/model/log-line.js';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFollower } from '../../src/providers/process/follow-log.js';
import { readLogTail } from '../../src/providers/process/logs.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function logWith(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-follow-'));
  dirs.push(dir);
  const file = join(dir, 'web.log');
  writeFileSync(file, text);
  return file;
}

describe('LogFollower.atEnd', () => {
  it('begins at the start of a line still being written, so the tail and the follower show it once, whole', async () => {
    const file = logWith('run=1 seq=1\nru');
    const { follower, size } = await LogFollower.atEnd(file);
    expect(size).toBe('run=1 seq=1\n'.length);
    expect(await readLogTail(file, 5, { end: size })).toEqual(['run=1 seq=1']);
    appendFileSync(file, 'n=1 seq=2\nrun=1 seq=3\n');
    expect(await follower.read()).toEqual(['run=1 seq=2', 'run=1 seq=3']);
    await follower.close();
  });

  it('begins at the end of a file that ends with a newline', async () => {
    const file = logWith('a\nb\n');
    const { follower, size } = await LogFollower.atEnd(file);
    expect(size).toBe(4);
    appendFileSync(file, 'c\n');
    expect(await follower.read()).toEqual(['c']);
    await follower.close();
  });
});

describe('LogFollower.latest (a viewer of the latest lines)', () => {
  it('skips to the last `latest` bytes when more wait, says how many it skipped, and leaves out the line the skip fell into', async () => {
    const file = logWith('');
    const { follower } = await LogFollower.atEnd(file);
    follower.latest = 100;
    const lines = Array.from({ length: 1000 }, (_, index) => `line ${String(index).padStart(4, '0')}`);
    appendFileSync(file, `${lines.join('\n')}\n`);
    const read = await follower.read();
    const total = lines.join('\n').length + 1;
    // The last 100 bytes begin inside a line: that piece goes with the skipped ones.
    const kept = read.slice(1);
    expect(kept).toEqual(lines.slice(-kept.length));
    expect(kept.join('\n').length + 1).toBeLessThanOrEqual(100);
    expect(parseLogLine(read[0] as string)).toMatchObject({ stream: 'stack', text: `[stack: ${total - (kept.join('\n').length + 1)} bytes skipped: written faster than they could be shown]` });
    // Caught up: what comes next is read whole.
    appendFileSync(file, 'next\n');
    expect(await follower.read()).toEqual(['next']);
    await follower.close();
  });

  it('skips nothing while no more than `latest` bytes wait, and a line being written stays whole', async () => {
    const file = logWith('');
    const { follower } = await LogFollower.atEnd(file);
    follower.latest = 100;
    appendFileSync(file, 'a\nhalf');
    expect(await follower.read()).toEqual(['a']);
    appendFileSync(file, ' done\n');
    expect(await follower.read()).toEqual(['half done']);
    await follower.close();
  });
});

describe('LogFollower and a line that never ends', () => {
  it('hands a viewer the piece it held once it passes `latest`, instead of holding it without bound', async () => {
    const file = logWith('');
    const { follower } = await LogFollower.atEnd(file);
    follower.latest = 1000;
    appendFileSync(file, '\r50%'.repeat(100));
    expect(await follower.read()).toEqual([]);
    // 700 more (fewer than `latest` waiting: nothing skipped), 1,100 held: over the limit.
    appendFileSync(file, '\r60%'.repeat(175));
    expect(await follower.read()).toEqual([`${'\r50%'.repeat(100)}${'\r60%'.repeat(175)}`]);
    appendFileSync(file, 'done\n');
    expect(await follower.read()).toEqual(['done']);
    await follower.close();
  });
});
