import { readFile } from 'node:fs/promises';
import { ExitCode, StackError } from '../errors.js';
import { writeFileAtomic } from '../write-atomic.js';
import type { SavedPlan } from '../reconcile/saved-plan.js';

/** `sha256:<hex>` of the file's bytes: what a saved plan was computed from. */
export async function hashFile(file: string): Promise<string> {
  // Loaded when called: node:crypto costs every `apply` and `plan` ~4 ms to load.
  const { createHash } = await import('node:crypto');
  return `sha256:${createHash('sha256').update(await readFile(file)).digest('hex')}`;
}

/** Writes the plan atomically (temp file + rename): a half-written plan must never be applied. */
export async function writePlanFile(path: string, saved: SavedPlan): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(saved, null, 2)}\n`);
}

/** Reads a plan saved by `stack plan -o`; exit 1 when it is missing or not one. */
export async function readPlanFile(path: string): Promise<SavedPlan> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new StackError(ExitCode.actionFailed, `cannot read the plan file ${path}: ${error.code ?? error.message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StackError(ExitCode.actionFailed, `${path} is not JSON`, { hint: 'save a plan with `stack plan -o <file>`' });
  }
  const { parseSavedPlan } = await import('../reconcile/saved-plan-schema.js');
  const parsed = parseSavedPlan(json);
  if ('error' in parsed) throw new StackError(ExitCode.actionFailed, `${path} is not a plan saved by \`stack plan -o\`: ${parsed.error}`);
  return parsed.plan;
}
