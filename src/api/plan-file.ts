import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExitCode, StackError } from '../model/errors.js';
import { writeFileAtomic } from '../os/write-atomic.js';
import type { SavedPlan } from '../reconcile/saved-plan.js';
import { escapeControls } from '../config/issues.js';

/** `sha256:<hex>` of the file's bytes: what a saved plan was computed from. */
export async function hashFile(file: string): Promise<string> {
  // Loaded when called: node:crypto costs every `apply` and `plan` ~4 ms to load.
  const { createHash } = await import('node:crypto');
  return `sha256:${createHash('sha256').update(await readFile(file)).digest('hex')}`;
}

// A wrong path is a person's mistake, not stack's: say what is wrong with it.
function describeFileError(error: NodeJS.ErrnoException, path: string): string {
  switch (error.code) {
    case 'ENOENT':
      return 'not found';
    case 'ENOTDIR':
      return `a parent of ${escapeControls(path)} is not a folder`;
    case 'EISDIR':
      return `${escapeControls(path)} is a directory`;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error.code ?? error.message;
  }
}

/** Writes the plan atomically (temp file + rename): a half-written plan must never be applied. */
export async function writePlanFile(path: string, saved: SavedPlan): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(saved, null, 2)}\n`).catch(async (error: NodeJS.ErrnoException) => {
    throw new StackError(ExitCode.actionFailed, `cannot write the plan to ${escapeControls(path)}: ${await whyNotWritten(error, path)}`, { cause: error });
  });
}

// Looked at only after a failure: the errno alone does not say which part of the path is wrong
// (`-o dir/` fails the rename with ENOTDIR, a missing folder and a read-only /proc both ENOENT).
async function whyNotWritten(error: NodeJS.ErrnoException, path: string): Promise<string> {
  const kind = (file: string) => stat(file).then((info) => (info.isDirectory() ? 'folder' : 'file'), () => undefined);
  if ((await kind(path)) === 'folder') return `${escapeControls(path)} is a directory`;
  if (error.code === 'ENOENT' && (await kind(dirname(path))) === undefined) return `the folder ${escapeControls(dirname(path))} does not exist`;
  return describeFileError(error, path);
}

/** Reads a plan saved by `stack plan -o`; exit 1 when it is missing or not one. */
export async function readPlanFile(path: string): Promise<SavedPlan> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new StackError(ExitCode.actionFailed, `cannot read the plan file ${escapeControls(path)}: ${describeFileError(error, path)}`, { cause: error });
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new StackError(ExitCode.actionFailed, `${escapeControls(path)} is not JSON`, { hint: 'save a plan with `stack plan -o <file>`' });
  }
  const { parseSavedPlan } = await import('../reconcile/saved-plan-schema.js');
  const parsed = parseSavedPlan(json);
  if ('error' in parsed) throw new StackError(ExitCode.actionFailed, `${escapeControls(path)} is not a plan saved by \`stack plan -o\`: ${parsed.error}`);
  return parsed.plan;
}
