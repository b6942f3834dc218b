/** Where a program name resolves, as a spawn of it would look it up. */

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `program` resolves: a path with a `/` relative to the service's cwd, a bare name on
 * the PATH the service will see (its own env's PATH, else the caller's).
 */
export async function resolveExecutable(program: string, cwd: string, path: string | undefined): Promise<string | undefined> {
  if (program.includes('/')) {
    const full = isAbsolute(program) ? program : resolve(cwd, program);
    return (await isExecutableFile(full)) ? full : undefined;
  }
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(isAbsolute(dir) ? dir : resolve(cwd, dir), program);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}
