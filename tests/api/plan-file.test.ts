import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPlanFile, writePlanFile } from '../../src/api/plan-file.js';
import { ExitCode, StackError } from '../../src/model/errors.js';
import type { SavedPlan } from '../../src/reconcile/saved-plan.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stack-plan-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const saved = {} as SavedPlan;

async function failure(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(StackError);
  return { code: (error as StackError).code, message: (error as StackError).message };
}

describe('a path the plan cannot go to is the person\'s mistake, said plainly', () => {
  it('names a missing folder', async () => {
    const file = path.join(dir, 'missing', 'p.json');
    expect(await failure(writePlanFile(file, saved))).toEqual({
      code: ExitCode.actionFailed,
      message: `cannot write the plan to ${file}: the folder ${path.join(dir, 'missing')} does not exist`,
    });
  });

  it.each(['folder', 'folder/'])('says %s is a directory, and leaves no temp file behind', async (name) => {
    await mkdir(path.join(dir, 'folder'));
    const file = path.join(dir, name);
    expect(await failure(writePlanFile(file, saved))).toEqual({ code: ExitCode.actionFailed, message: `cannot write the plan to ${file}: ${file} is a directory` });
    expect(await readdir(dir)).toEqual(['folder']);
  });

  it('says a plan file to read is not found, or is a directory', async () => {
    const missing = path.join(dir, 'nofile.json');
    expect(await failure(readPlanFile(missing))).toEqual({ code: ExitCode.actionFailed, message: `cannot read the plan file ${missing}: not found` });
    expect(await failure(readPlanFile(dir))).toEqual({ code: ExitCode.actionFailed, message: `cannot read the plan file ${dir}: ${dir} is a directory` });
  });

  it('still writes a plan where it can', async () => {
    const file = path.join(dir, 'p.json');
    await writeFile(file, 'old');
    await writePlanFile(file, saved);
    expect(await readdir(dir)).toEqual(['p.json']);
  });
});
