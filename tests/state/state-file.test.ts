import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StackError } from '../../src/errors.js';
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
        web: record('web', { pid: 4242, startedAt: '2024-01-02T03:04:05.000Z', stoppedByUs: false }),
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

  it('invalid JSON is a StackError naming the file', async () => {
    const { dir, file } = await stateFileIn();
    await mkdir(dir, { recursive: true });
    await writeFile(file, '{"formatVersion": 1, "services": {');
    const error = await readError(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    ['a wrong formatVersion', { formatVersion: 2, project: 'demo', services: {} }],
    ['no formatVersion', { project: 'demo', services: {} }],
    ['services missing', { formatVersion: 1, project: 'demo' }],
    ['services null', { formatVersion: 1, project: 'demo', services: null }],
    ['a JSON array', []],
    ['a JSON string', 'state'],
  ])('%s is a StackError naming the file', async (_label, content) => {
    const { dir, file } = await stateFileIn();
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify(content));
    const error = await readError(file);
    expect(error.message).toContain(file);
    expect(error.message).toContain(`formatVersion ${STATE_FORMAT_VERSION}`);
  });
});
