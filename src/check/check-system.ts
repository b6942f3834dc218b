/** Checks of this machine and stack's own folder: the Node version and `.stack/`. */

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fail, pass, type CheckResult } from './types.js';

const MIN_NODE_MAJOR = 20;

export function checkNode(version: string = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return pass('node', `Node.js ${version} (needs ${MIN_NODE_MAJOR} or later)`);
  return fail('node', `Node.js ${version} is too old (needs ${MIN_NODE_MAJOR} or later)`, 'install Node.js 20 or later: https://nodejs.org/');
}

/** `.stack/` must be a folder we can write, readable by us only (it holds pids, logs, env-derived state). */
export async function checkStateDir(dir: string): Promise<CheckResult> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : error));
  if (info instanceof Error) return fail('state', `${dir} cannot be read: ${info.message}`);
  if (info === undefined) {
    const parent = dirname(dir);
    const writable = await access(parent, constants.W_OK).then(() => true, () => false);
    return writable
      ? pass('state', `${dir} will be created (mode 0700)`)
      : fail('state', `${dir} cannot be created: ${parent} is not writable`, `check the permissions of ${parent}`);
  }
  if (!info.isDirectory()) return fail('state', `${dir} is not a folder`, `move it away; stack keeps its state there`);
  const mode = info.mode & 0o777;
  const writable = await access(dir, constants.W_OK).then(() => true, () => false);
  if (!writable) return fail('state', `${dir} is not writable`, `check its owner and permissions (chmod 700 ${dir})`);
  if (mode !== 0o700) return fail('state', `${dir} has mode 0${mode.toString(8)}, expected 0700`, `chmod 700 ${dir}`);
  return pass('state', `${dir} is writable, mode 0700`);
}
