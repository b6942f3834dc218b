import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StackError } from '../../src/model/errors.js';
import { onStateNotice } from '../../src/state/notices.js';
import { emptyState, ensureStateDir, readState, STATE_FORMAT_VERSION, writeState, type StateDocument } from '../../src/state/state-file.js';
import { record, tempDirs } from './helpers.js';

const dirs = tempDirs('state-file');
afterEach(() => dirs.cleanup());

async function stateFileIn(): Promise<{ dir: string; file: string }> {
  const root = await dirs.make();
  const dir = path.join(root, '.stack');
  return { dir, file: path.join(dir, 'state.json') };
}

async function readError(file: string): Promise<StackError> {
  const error = await readState(file, 'demo').then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StackError);
  return error as StackError;
}

describe('readState / writeState', () => {
  it('reads back exactly what was written, service order included', async () => {
    const { file } = await stateFileIn();
    const doc: StateDocument = {
      formatVersion: STATE_FORMAT_VERSION,
      project: 'demo',
      services: {
        web: record('web', { pid: 4242, startedAt: '2024-01-02T03:04:05.000Z', stoppedByUs: false, probe: { kind: 'health', ok: false, reason: 'connection refused', at: '2024-01-02T03:04:07.000Z' } }),
        db: record('db', { lastExit: { code: 3, signal: null, at: '2024-01-02T03:04:06.000Z', reason: 'exited with code 3' } }),
      },
    };
    await writeState(file, doc);
    const back = await readState(file, 'demo');
    expect(back).toEqual(doc);
    expect(Object.keys(back.services)).toEqual(['web', 'db']);
  });

  it('a second write replaces the first', async () => {
    const { file } = await stateFileIn();
    await writeState(file, { ...emptyState('demo'), services: { a: record('a') } });
    await writeState(file, { ...emptyState('demo'), services: { b: record('b') } });
    expect(Object.keys((await readState(file, 'demo')).services)).toEqual(['b']);
  });

  it('a missing file is an empty state for the project', async () => {
    const { file } = await stateFileIn();
    expect(await readState(file, 'demo')).toEqual({ formatVersion: STATE_FORMAT_VERSION, project: 'demo', services: {} });
  });

  it('creates .stack with mode 0700', async () => {
    const { dir, file } = await stateFileIn();
    await writeState(file, emptyState('demo'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('tightens an existing .stack folder to 0700', async () => {
    const { dir } = await stateFileIn();
    await mkdir(dir, { mode: 0o755 });
    await ensureStateDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('leaves no temp files beside the state file', async () => {
    const { dir, file } = await stateFileIn();
    for (let index = 0; index < 5; index += 1) {
      await writeState(file, { ...emptyState('demo'), services: { [`s${index}`]: record(`s${index}`) } });
    }
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('writes the file as one JSON document ending in a newline', async () => {
    const { file } = await stateFileIn();
    await writeState(file, { ...emptyState('demo'), services: { web: record('web') } });
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text).formatVersion).toBe(STATE_FORMAT_VERSION);
  });

  it('a file from a newer stack is refused, naming the file, and left as it is', async () => {
    const { dir, file } = await stateFileIn();
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify({ formatVersion: 2, project: 'demo', services: {} }));
    const error = await readError(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/newer stack \(formatVersion 2/);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it.each([
    ['invalid JSON', '{"formatVersion": 1, "services": {'],
    ['an empty file', ''],
    ['no formatVersion', JSON.stringify({ project: 'demo', services: {} })],
    ['services missing', JSON.stringify({ formatVersion: 1, project: 'demo' })],
    ['services null', JSON.stringify({ formatVersion: 1, project: 'demo', services: null })],
    ['a record with a pid that is not a number', JSON.stringify({ formatVersion: 1, project: 'demo', services: { a: { provider: 'process', specHash: 'x', installHash: 'y', fields: {}, restarts: 0, pid: 'x' } } })],
    ['a record whose stop signal is not one stack sends', JSON.stringify({ formatVersion: 1, project: 'demo', services: { a: { provider: 'process', specHash: 'x', installHash: 'y', fields: {}, restarts: 0, stop: { signal: 'kill -9', timeoutMs: 1 } } } })],
    ['a record whose stop timeout is past what stack.yaml allows (a day)', JSON.stringify({ formatVersion: 1, project: 'demo', services: { a: { provider: 'process', specHash: 'x', installHash: 'y', fields: {}, restarts: 0, stop: { signal: 'SIGTERM', timeoutMs: 3_000_000_000 } } } })],
    ['a record whose dependencies are not names', JSON.stringify({ formatVersion: 1, project: 'demo', services: { a: { provider: 'process', specHash: 'x', installHash: 'y', fields: {}, restarts: 0, dependsOn: [1] } } })],
    ['a record whose probe result is not one', JSON.stringify({ formatVersion: 1, project: 'demo', services: { a: { provider: 'process', specHash: 'x', installHash: 'y', fields: {}, restarts: 0, probe: { kind: 'health', ok: 'yes', at: 'x' } } } })],
    ['a JSON array', '[]'],
    ['a JSON string', '"state"'],
    ['terminal control bytes', '\u001b]0;owned\u0007\u001b[2J'],
  ])('%s: a reader reports it (naming the file) and reads it as empty; a writer sets it aside', async (_label, content) => {
    const { dir, file } = await stateFileIn();
    await mkdir(dir, { recursive: true });
    await writeFile(file, content);
    const notices: string[] = [];
    const restore = onStateNotice((message) => notices.push(message));
    try {
      expect(await readState(file, 'demo', { writable: false })).toEqual(emptyState('demo'));
      expect(await readdir(dir)).toEqual(['state.json']);
      expect(await readState(file, 'demo', { writable: true })).toEqual(emptyState('demo'));
    } finally {
      restore();
    }
    expect(notices).toHaveLength(2);
    // Whatever the file holds, a notice never carries a control character to the terminal.
    expect([...notices.join('')].filter((char) => /\p{Cc}/u.test(char) && char !== '\n')).toEqual([]);
    expect(notices[0]).toContain(file);
    expect(notices[0]).toMatch(/reading it as empty/);
    const aside = (await readdir(dir)).filter((name) => name.startsWith('state.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(notices[1]).toContain(path.join(dir, aside[0] as string));
    expect(await readFile(path.join(dir, aside[0] as string), 'utf8')).toBe(content);
    // What the writer left is a valid empty state, read back without a notice.
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(emptyState('demo'));
  });
});
