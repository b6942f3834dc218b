// A full disk (ENOSPC, on a 64 KiB tmpfs) and a read-only .stack (a read-only bind mount; chmod
// does not stop root): apply says so in one line, down still stops every service, and no temp
// file is left behind. Needs root for mount, as the suite runs here and in CI.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stack, tempStack, type CliResult } from '../support/stack-cli.js';
import { figures, printFigures, processesMarked, stackTraceLines, uniqueMarker } from './support.js';

const mounts: string[] = [];
const made: ReturnType<typeof tempStack>[] = [];
const markers: string[] = [];
afterEach(() => {
  // A service left by a failed test holds its cwd on the small disk: umount would say busy.
  for (const proc of markers.splice(0).flatMap((marker) => processesMarked(marker))) process.kill(proc.pid, 'SIGKILL');
  for (const point of mounts.splice(0).reverse()) {
    execFileSync('umount', ['--lazy', point]);
    rmSync(point, { recursive: true, force: true });
  }
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});
afterAll(() => printFigures('disk-faults'));

const idle = (marker: string, name: string) => `  ${name}:\n    command: [node, -e, "setInterval(() => {}, 1e9)", ${marker}, ${name}]\n`;

/** A project on its own 64 KiB tmpfs. */
function smallDiskProject(marker: string): { dir: string; file: string } {
  markers.push(marker);
  const dir = mkdtempSync(join(tmpdir(), 'stack-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
  mounts.push(dir);
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, `version: 1\nservices:\n${idle(marker, 'web')}${idle(marker, 'api')}`);
  return { dir, file };
}

/** Fills the disk, then frees `leave` pages of 4 KiB. */
function fill(dir: string, leave: number): void {
  const gaps = Array.from({ length: leave }, (_, n) => join(dir, `gap${n}`));
  for (const gap of gaps) writeFileSync(gap, Buffer.alloc(4096));
  const fd = openSync(join(dir, 'filler'), 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  for (const gap of gaps) rmSync(gap);
}

function checkOneLine(result: CliResult, words: RegExp): void {
  figures.faultsInjected += 1;
  figures.stackTraces += stackTraceLines(result.stderr).length;
  expect(stackTraceLines(result.stderr)).toEqual([]);
  expect(result.stderr).not.toContain('internal error');
  expect(result.stderr).toMatch(words);
}

const temps = (dir: string) => readdirSync(join(dir, '.stack')).filter((name) => name.endsWith('.tmp') || /^lock\./.test(name));

describe('a full disk', () => {
  it('no room even for the lock: apply exits 1 in one line; down stops every service and says what it could not record; no temp file', () => {
    const marker = uniqueMarker();
    const { dir, file } = smallDiskProject(marker);
    expect(stack(['apply', '--yes', '-f', file]).code).toBe(0);
    expect(processesMarked(marker)).toHaveLength(2);
    fill(dir, 0);
    writeFileSync(file, `version: 1\nservices:\n${idle(marker, 'web')}${idle(marker, 'api')}${idle(marker, 'db')}`);
    const applied = stack(['apply', '--yes', '-f', file]);
    expect(applied.code).toBe(1);
    checkOneLine(applied, /^error: cannot take the lock .*\.stack\/lock: the disk is full \(ENOSPC\)$/m);
    expect(processesMarked(marker)).toHaveLength(2);
    const down = stack(['down', '--yes', '-f', file]);
    checkOneLine(down, /cannot write .*state\.json: the disk is full \(ENOSPC\); what was done above is not recorded/);
    expect(down.stderr).toMatch(/warning: cannot take the lock .*: the disk is full \(ENOSPC\); stopping the services without it/);
    expect(down.code).toBe(1);
    expect(processesMarked(marker)).toEqual([]);
    expect(temps(dir)).toEqual([]);
  });

  it('room for the lock but not the state: apply starts, says in one line what it could not record, leaves no temp file; the next apply adopts, starts nothing twice', () => {
    const marker = uniqueMarker();
    const { dir, file } = smallDiskProject(marker);
    expect(stack(['apply', '--yes', '-f', file]).code).toBe(0);
    writeFileSync(file, `version: 1\nservices:\n${idle(marker, 'web')}${idle(marker, 'api')}${idle(marker, 'db')}`);
    // One free page: the lock takes it, the state's temp file finds none.
    fill(dir, 1);
    for (let round = 0; round < 3; round += 1) {
      const applied = stack(['apply', '--yes', '-f', file]);
      // The first round fails to record its start, the next ones to record what they adopted.
      checkOneLine(applied, /^error: cannot write .*state\.json: the disk is full \(ENOSPC\)/m);
      expect(applied.code).toBe(1);
      expect(temps(dir)).toEqual([]);
    }
    // Each service once: the runs the state could not record carry the marker and are adopted.
    const names = processesMarked(marker).map((proc) => proc.argv.at(-1)).sort();
    expect(names).toEqual(['api', 'db', 'web']);
    rmSync(join(dir, 'filler'));
    expect(stack(['apply', '--yes', '-f', file]).code).toBe(0);
    expect(processesMarked(marker).map((proc) => proc.argv.at(-1)).sort()).toEqual(['api', 'db', 'web']);
    expect(stack(['down', '--yes', '-f', file]).code).toBe(0);
    expect(processesMarked(marker)).toEqual([]);
  });
});

describe('a read-only .stack', () => {
  it('apply exits 1 in one line naming EROFS; down stops every service and says what it could not record', () => {
    const marker = uniqueMarker();
    const s = tempStack(`version: 1\nservices:\n${idle(marker, 'web')}${idle(marker, 'api')}`);
    made.push(s);
    markers.push(marker);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const stateDir = join(s.dir, '.stack');
    mkdirSync(stateDir, { recursive: true });
    execFileSync('mount', ['--bind', stateDir, stateDir]);
    mounts.push(stateDir);
    execFileSync('mount', ['-o', 'remount,ro,bind', stateDir]);
    s.write(`version: 1\nservices:\n${idle(marker, 'web')}${idle(marker, 'api')}${idle(marker, 'db')}`);
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code).toBe(1);
    checkOneLine(applied, /^error: cannot take the lock .*: the file system is read-only \(EROFS\)$/m);
    const down = stack(['down', '--yes', '-f', s.file]);
    checkOneLine(down, /cannot write .*state\.json: the file system is read-only \(EROFS\); what was done above is not recorded/);
    expect(down.code).toBe(1);
    expect(processesMarked(marker)).toEqual([]);
  });
});
