// Live log rotation (copy the head to .1, cut it from the live file) against a real process
// writing as fast as it can, with a real LogFollower reading alongside.
import { parseLogLine } from '../../src/model/log-line.js';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFollower } from '../../src/providers/process/follow-log.js';
import { logIndexFile, readLogIndex } from '../../src/providers/process/log-index.js';
import { collapseSupported, rotateLiveLog } from '../../src/providers/process/rotate-live.js';
import { openLogForAppend, readLogTail, rotateLogIfLarge } from '../../src/providers/process/logs.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stack-rotate-'));
  dirs.push(dir);
  return dir;
}

const LINES = 120_000;
// Numbered lines with a two-byte character, written in bursts: cuts fall inside lines and
// inside characters. The writer waits while the live file holds more than 64 KiB, so the cuts
// keep pace with it however busy the machine is (it cannot outrun the rotation).
const WRITER_JS = `const fs = require('node:fs');
let seq = 0;
const burst = () => {
  if (fs.fstatSync(1).size > 64 * 1024) return setTimeout(burst, 1);
  let text = '';
  for (let i = 0; i < 200 && seq < ${LINES}; i += 1) text += 'é line ' + (seq++) + '\\n';
  fs.writeSync(1, text);
  if (seq < ${LINES}) setTimeout(burst, 1);
};
burst();
`;

/** Starts the writer with its stdout appended to `log`, as the process provider does. */
function startWriter(dir: string, log: string) {
  writeFileSync(join(dir, 'writer.js'), WRITER_JS);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [join(dir, 'writer.js')], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return new Promise<number | null>((resolve) => child.on('exit', resolve));
}

const expected = Array.from({ length: LINES }, (_, seq) => `é line ${seq}`);

/** Every rotated file, oldest first, then the live one, as one text. */
function wholeStream(log: string): string {
  const parts: Buffer[] = [];
  for (let index = 1; existsSync(`${log}.${index}`); index += 1) parts.unshift(readFileSync(`${log}.${index}`));
  parts.push(readFileSync(log));
  return Buffer.concat(parts).toString('utf8');
}

/** A log holding one line, and a follower that has read it. */
async function followerOfNewLog() {
  const log = join(tempDir(), 'app.log');
  writeFileSync(log, 'first line\n');
  const follower = new LogFollower(log, 0);
  expect(await follower.read()).toEqual(['first line']);
  return { log, spec: { maxSizeBytes: 4096, maxFiles: 10 }, follower };
}

async function readPolls(follower: LogFollower, polls: number): Promise<string[]> {
  const followed: string[] = [];
  for (let poll = 0; poll < polls; poll += 1) followed.push(...(await follower.read()));
  return followed;
}

/** 2,000 numbered lines of one run. */
const run = (name: string) => Array.from({ length: 2000 }, (_, index) => `${name} ${index}`);

const supported = await collapseSupported(tmpdir());

// A pid no process has (above the kernel's pid_max of 4,194,304).
const DEAD_PID = 2 ** 22 + 1;

describe('rotating a log while its service writes', () => {
  it('the filesystem of the test folder supports it (ext4 here and in CI)', () => {
    expect(supported).toBe(true);
  });

  // A quick follower mostly moves its offset back by each cut; a slow one finds bytes cut before
  // it read them and takes them from the rotated files.
  it.each([
    ['a quick follower', 2],
    ['a slow follower', 60],
  ])('keeps every byte exactly once, across rotated files, and %s reads each line once', async (_, pauseMs) => {
    const dir = tempDir();
    const log = join(dir, 'writer.log');
    const spec = { maxSizeBytes: 16 * 1024, maxFiles: 1000 };
    const follower = new LogFollower(log, 0);
    const followed: string[] = [];
    let rotations = 0;
    let writing = true;
    const exited = startWriter(dir, log).finally(() => (writing = false));

    // Rotate and follow (one reader: a follower is not reentrant) for as long as the writer writes.
    const rotating = (async () => {
      while (writing) {
        if ((await rotateLiveLog(log, spec)) === 'rotated') rotations += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const reading = (async () => {
      while (writing) {
        followed.push(...(await follower.read()));
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })();
    expect(await exited).toBe(0);
    await Promise.all([rotating, reading]);
    if ((await rotateLiveLog(log, spec)) === 'rotated') rotations += 1;
    await waitFor(async () => {
      followed.push(...(await follower.read()));
      return followed.length >= LINES;
    }, 10_000, 'the follower to read every line');

    expect(wholeStream(log).split('\n').slice(0, -1)).toEqual(expected);
    expect(followed).toEqual(expected);
    expect(rotations).toBeGreaterThanOrEqual(5);
    expect(statSync(log).size).toBeLessThanOrEqual(statSync(log).blksize + spec.maxSizeBytes);
    await follower.close();
  });

  it('a follower that is behind a cut, a restart and a cut of the new file still reads every line once', async () => {
    const { log, spec, follower } = await followerOfNewLog();

    writeFileSync(log, `${run('a').join('\n')}\n`, { flag: 'a' });
    expect(await rotateLiveLog(log, spec)).toBe('rotated');
    writeFileSync(log, `${run('a2').join('\n')}\n`, { flag: 'a' });
    // The service restarts: its log is renamed to .1, the new run writes a new file…
    expect(await rotateLogIfLarge(log, spec)).toBe(true);
    writeFileSync(log, `${run('b').join('\n')}\n`);
    // …which is cut too before the follower looks again.
    expect(await rotateLiveLog(log, spec)).toBe('rotated');

    const followed = await readPolls(follower, 5);
    expect(followed).toEqual([...run('a'), ...run('a2'), ...run('b')]);
    await follower.close();
  });

  // `stack logs -f` blocked on a full pipe (or stopped with Ctrl+Z) while the service restarted
  // twice: the middle run was renamed away before the follower ever opened it.
  it('a follower held up through two restarts reads the run in between from the rotated files', async () => {
    const { log, spec, follower } = await followerOfNewLog();

    writeFileSync(log, `${run('a').join('\n')}\n`, { flag: 'a' });
    expect(await rotateLogIfLarge(log, spec)).toBe(true);
    writeFileSync(log, `${run('b').join('\n')}\n`);
    expect(await rotateLiveLog(log, spec)).toBe('rotated');
    writeFileSync(log, `${run('b2').join('\n')}\nno newline at the end`, { flag: 'a' });
    expect(await rotateLogIfLarge(log, spec)).toBe(true);
    writeFileSync(log, `${run('c').join('\n')}\n`);

    const followed = await readPolls(follower, 5);
    expect(followed).toEqual([...run('a'), ...run('b'), ...run('b2'), 'no newline at the end', ...run('c')]);
    await follower.close();
  });

  it('a follower so far behind that rotated files were dropped says how much it could not show', async () => {
    const dir = tempDir();
    const log = join(dir, 'app.log');
    const spec = { maxSizeBytes: 4096, maxFiles: 1 };
    writeFileSync(log, 'start\n');
    const follower = new LogFollower(log, 0);
    expect(await follower.read()).toEqual(['start']);
    for (let round = 0; round < 3; round += 1) {
      writeFileSync(log, `${`round ${round} `.repeat(1000)}\n`, { flag: 'a' });
      expect(await rotateLiveLog(log, spec)).toBe('rotated');
    }
    const lines = await follower.read();
    expect(parseLogLine(lines[0] as string)).toMatchObject({ stream: 'stack', text: expect.stringMatching(/^\[stack: \d+ bytes of this log were rotated away before they could be shown\]$/) });
    // What .1 and the live file still hold follows, up to the last round's end.
    expect(lines.at(-1)).toMatch(/round 2 $/);
    await follower.close();
  });

  it('a new log that reuses the inode number of a deleted one does not inherit its history', async () => {
    const stateDir = tempDir();
    const opened = await openLogForAppend(stateDir, 'web');
    closeSync(opened.fd);
    const { ino } = statSync(opened.file);
    // What the index would say had an earlier, deleted log had this inode number.
    writeFileSync(logIndexFile(opened.file), JSON.stringify({ generation: 4, removed: { [ino]: 8192, 77: 10 }, files: [{ ino, start: 0, end: 8192 }, { ino: 77, start: 0, end: 10 }] }));

    const again = await openLogForAppend(stateDir, 'web');
    closeSync(again.fd);
    expect(await readLogIndex(opened.file)).toEqual({ generation: 5, removed: { 77: 10 }, files: [null, { ino: 77, start: 0, end: 10 }] });
  });

  it('keeps at most maxFiles rotated files, newest in .1', async () => {
    const dir = tempDir();
    const log = join(dir, 'app.log');
    const spec = { maxSizeBytes: 8192, maxFiles: 2 };
    for (let round = 0; round < 4; round += 1) {
      writeFileSync(log, `${String(round).repeat(20_000)}\n`, { flag: 'a' });
      expect(await rotateLiveLog(log, spec)).toBe('rotated');
    }
    expect(existsSync(`${log}.3`)).toBe(false);
    expect(readFileSync(`${log}.1`, 'utf8')).toContain('3');
    expect(readFileSync(`${log}.2`, 'utf8')).toContain('2');
  });

  it('`stack logs -n` reads on from .1 when the cut fell inside a line', async () => {
    const dir = tempDir();
    const log = join(dir, 'app.log');
    const lines = Array.from({ length: 3000 }, (_, index) => `ünïcode line ${index}`);
    writeFileSync(log, `${lines.join('\n')}\n`);
    expect(await rotateLiveLog(log, { maxSizeBytes: 4096, maxFiles: 3 })).toBe('rotated');
    expect(readFileSync(log, 'utf8').startsWith('ünïcode line')).toBe(false);
    expect(await readLogTail(log, 300)).toEqual(lines.slice(-300));
  });

  it('a small log is left alone', async () => {
    const dir = tempDir();
    const log = join(dir, 'small.log');
    writeFileSync(log, 'one line\n');
    expect(await rotateLiveLog(log, { maxSizeBytes: 1024, maxFiles: 3 })).toBe('not-needed');
    expect(existsSync(`${log}.1`)).toBe(false);
    expect(readFileSync(log, 'utf8')).toBe('one line\n');
  });

  it('a filesystem that cannot cut a file (tmpfs) is reported, and the log is left whole', async () => {
    expect(await collapseSupported('/dev/shm')).toBe(false);
    const dir = mkdtempSync('/dev/shm/stack-rotate-');
    dirs.push(dir);
    const log = join(dir, 'app.log');
    writeFileSync(log, 'x'.repeat(50_000));
    expect(await rotateLiveLog(log, { maxSizeBytes: 1024, maxFiles: 3 })).toBe('unsupported');
    expect(statSync(log).size).toBe(50_000);
    expect(existsSync(`${log}.1`)).toBe(false);
  });

  describe('a rotation cut short by a crash of stack is settled by the next one', () => {
    it('stopped before the cut began: the live file is whole, .1 is kept (at worst a block shows twice)', async () => {
      const dir = tempDir();
      const log = join(dir, 'app.log');
      writeFileSync(log, 'a'.repeat(8192) + 'tail\n');
      const { ino, blksize } = statSync(log);
      writeFileSync(`${log}.1`, 'a'.repeat(blksize));
      writeFileSync(logIndexFile(log), JSON.stringify({ generation: 3, pending: { kind: 'cut', ino, from: 0, cut: blksize, pid: DEAD_PID, step: 'moving' }, removed: {}, files: [] }));

      expect(await rotateLiveLog(log, { maxSizeBytes: 1024, maxFiles: 3 })).toBe('rotated');
      expect(readFileSync(`${log}.2`, 'utf8')).toBe('a'.repeat(blksize));
      expect(readFileSync(`${log}.1`, 'utf8')).toBe('a'.repeat(8192));
      expect(readFileSync(log, 'utf8')).toBe('tail\n');
      expect(await readLogIndex(log)).toEqual({ generation: 7, removed: { [ino]: 8192 }, files: [{ ino, start: 0, end: 8192 }] });
    });

    it('stopped once the cut may have begun: the cut is recorded, the copy kept and described', async () => {
      const dir = tempDir();
      const log = join(dir, 'app.log');
      writeFileSync(log, 'b'.repeat(5000) + '\n');
      const { ino } = statSync(log);
      writeFileSync(`${log}.1`, 'a'.repeat(4096));
      writeFileSync(logIndexFile(log), JSON.stringify({ generation: 3, pending: { kind: 'cut', ino, from: 0, cut: 4096, pid: DEAD_PID, step: 'collapsing' }, removed: {}, files: [] }));

      expect(await rotateLiveLog(log, { maxSizeBytes: 1024, maxFiles: 3 })).toBe('rotated');
      expect(readFileSync(`${log}.2`, 'utf8')).toBe('a'.repeat(4096));
      expect(readFileSync(`${log}.1`, 'utf8')).toBe('b'.repeat(4096));
      expect(await readLogIndex(log)).toEqual({
        generation: 7,
        removed: { [ino]: 8192 },
        files: [
          { ino, start: 4096, end: 8192 },
          { ino, start: 0, end: 4096 },
        ],
      });
    });

    it('content that repeats (the copy equals the new head) is never taken for a cut that did not happen', async () => {
      const dir = tempDir();
      const log = join(dir, 'app.log');
      const line = `${'x'.repeat(63)}\n`;
      writeFileSync(log, line.repeat(100));
      const { ino } = statSync(log);
      writeFileSync(`${log}.1`, line.repeat(64));
      writeFileSync(logIndexFile(log), JSON.stringify({ generation: 1, pending: { kind: 'cut', ino, from: 0, cut: 4096, pid: DEAD_PID, step: 'collapsing' }, removed: {}, files: [] }));

      expect(await rotateLiveLog(log, { maxSizeBytes: 1 << 20, maxFiles: 3 })).toBe('not-needed');
      expect(readFileSync(`${log}.1`, 'utf8')).toBe(line.repeat(64));
      expect(await readLogIndex(log)).toEqual({ generation: 2, removed: { [ino]: 4096 }, files: [{ ino, start: 0, end: 4096 }] });
    });

    it('a follower waits while the rotating process lives, and not for a dead one', async () => {
      const dir = tempDir();
      const log = join(dir, 'app.log');
      writeFileSync(log, 'one\ntwo\n');
      const { ino } = statSync(log);
      const pending = (pid: number) => JSON.stringify({ generation: 1, pending: { kind: 'cut', ino, from: 0, cut: 4096, pid, step: 'moving' }, removed: {}, files: [] });
      writeFileSync(logIndexFile(log), pending(process.pid));
      const follower = new LogFollower(log, 0);
      expect(await follower.read()).toEqual([]);
      writeFileSync(logIndexFile(log), pending(DEAD_PID));
      expect(await follower.read()).toEqual(['one', 'two']);
      await follower.close();
    });
  });

  it('a live rotation and a restart rotation of one log at the same moment take turns: nothing lost', async () => {
    const dir = tempDir();
    const log = join(dir, 'app.log');
    const text = Array.from({ length: 3000 }, (_, index) => `line ${index}`).join('\n') + '\n';
    writeFileSync(log, text);
    const spec = { maxSizeBytes: 4096, maxFiles: 10 };
    const results = await Promise.all([rotateLiveLog(log, spec), rotateLogIfLarge(log, spec), rotateLiveLog(log, spec)]);
    expect(results[0]).toBe('rotated');
    const stream = Buffer.concat([...Array.from({ length: 10 }, (_, index) => `${log}.${10 - index}`).filter((file) => existsSync(file)).map((file) => readFileSync(file)), existsSync(log) ? readFileSync(log) : Buffer.alloc(0)]);
    expect(stream.toString('utf8')).toBe(text);
  });
});
