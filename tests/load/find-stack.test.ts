import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, StackError } from '../../src/model/errors.js';
import { findStackFile } from '../../src/load/find-stack.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stack-find-'));
  await mkdir(join(root, 'a', 'b', 'c'), { recursive: true });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function thrown(run: () => unknown): StackError {
  try {
    run();
  } catch (error) {
    if (error instanceof StackError) return error;
    throw error;
  }
  throw new Error('expected a StackError');
}

describe('findStackFile', () => {
  it('finds stack.yaml in the folder itself', async () => {
    await writeFile(join(root, 'a', 'stack.yaml'), 'version: 1\n');
    expect(findStackFile({ cwd: join(root, 'a'), env: {} })).toBe(join(root, 'a', 'stack.yaml'));
  });

  it('walks up to the nearest parent, like git', async () => {
    await writeFile(join(root, 'stack.yaml'), '');
    await writeFile(join(root, 'a', 'stack.yml'), '');
    expect(findStackFile({ cwd: join(root, 'a', 'b', 'c'), env: {} })).toBe(join(root, 'a', 'stack.yml'));
  });

  it('prefers stack.yaml over stack.yml in the same folder', async () => {
    await writeFile(join(root, 'stack.yml'), '');
    await writeFile(join(root, 'stack.yaml'), '');
    expect(findStackFile({ cwd: root, env: {} })).toBe(join(root, 'stack.yaml'));
  });

  it('ignores a folder named stack.yaml', async () => {
    await mkdir(join(root, 'a', 'b', 'stack.yaml'));
    await writeFile(join(root, 'a', 'stack.yaml'), '');
    expect(findStackFile({ cwd: join(root, 'a', 'b'), env: {} })).toBe(join(root, 'a', 'stack.yaml'));
  });

  it('uses an explicit file before STACK_FILE, relative to cwd', async () => {
    await writeFile(join(root, 'a', 'one.yaml'), '');
    await writeFile(join(root, 'a', 'two.yaml'), '');
    const env = { STACK_FILE: 'two.yaml' };
    expect(findStackFile({ cwd: join(root, 'a'), explicit: 'one.yaml', env })).toBe(join(root, 'a', 'one.yaml'));
    expect(findStackFile({ cwd: join(root, 'a'), env })).toBe(join(root, 'a', 'two.yaml'));
  });

  it('fails with exit 3 and a hint when nothing is found', () => {
    const error = thrown(() => findStackFile({ cwd: join(root, 'a', 'b'), env: {} }));
    expect(error.code).toBe(ExitCode.noStackFile);
    expect(error.message).toBe(`no stack.yaml found in ${join(root, 'a', 'b')} or any parent folder`);
    expect(error.hint).toBe('run `stack init` to create one, or pass -f <file>');
  });

  it('fails with exit 3 naming a missing explicit or STACK_FILE file', () => {
    const explicit = thrown(() => findStackFile({ cwd: root, explicit: 'nope.yaml', env: {} }));
    expect(explicit.code).toBe(ExitCode.noStackFile);
    expect(explicit.message).toBe(`stack file ${join(root, 'nope.yaml')} not found`);
    // The file was named already: no hint to name one.
    expect(explicit.hint).toBe('check the path, or run `stack init` to create a stack file there');
    const fromEnv = thrown(() => findStackFile({ cwd: root, env: { STACK_FILE: '/nowhere/s.yaml' } }));
    expect(fromEnv.message).toBe('stack file /nowhere/s.yaml (from STACK_FILE) not found');
    const folder = thrown(() => findStackFile({ cwd: root, explicit: '.', env: {} }));
    expect(folder.message).toBe(`stack file ${root} is a directory, not a file`);
  });
});
