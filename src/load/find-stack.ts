/** Finds the stack file the way git finds its repository: explicit, then env, then upwards. */

import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, StackError } from '../model/errors.js';
import { escapeControls } from '../config/issues.js';

export const STACK_FILE_NAMES = ['stack.yaml', 'stack.yml'] as const;
const INIT_HINT = 'run `stack init` to create one, or pass -f <file>';

export interface FindStackOptions {
  cwd: string;
  /** The `-f, --file` flag. */
  explicit?: string;
  env: NodeJS.ProcessEnv;
}

/** The absolute path of the stack file to use; throws StackError (exit 3) when there is none. */
export function findStackFile({ cwd, explicit, env }: FindStackOptions): string {
  const named = explicit ?? (env.STACK_FILE ? env.STACK_FILE : undefined);
  if (named !== undefined) {
    const file = resolve(cwd, named);
    // A FIFO or a device of that name goes on to the reader, which refuses it (exit 5, named).
    if (!isFile(file) && (isDirectory(file) || !exists(file))) {
      const source = explicit !== undefined ? '' : ' (from STACK_FILE)';
      const what = isDirectory(file) ? 'is a directory, not a file' : 'not found';
      throw new StackError(ExitCode.noStackFile, `stack file ${escapeControls(file)}${source} ${what}`, { hint: 'check the path, or run `stack init` to create a stack file there' });
    }
    return file;
  }
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    for (const name of STACK_FILE_NAMES) {
      const file = join(folder, name);
      if (isFile(file)) return file;
    }
    if (dirname(folder) === folder) break;
  }
  throw new StackError(ExitCode.noStackFile, `no stack.yaml found in ${resolve(cwd)} or any parent folder`, { hint: INIT_HINT });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
