/** Every enabled process service's program can be found and run, as the service would look it up. */

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { DesiredService, DesiredServiceOf } from '../model/desired.js';
import { fail, pass, type CheckResult } from './types.js';

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

export async function checkExecutables(services: readonly DesiredService[], callerEnv: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const processes = services.filter((service): service is DesiredServiceOf<'process'> => service.enabled && service.provider === 'process');
  return Promise.all(
    processes.map(async (service) => {
      const spec = service.process;
      const program = spec.shell ? '/bin/sh' : (spec.argv[0] ?? '');
      const path = spec.env.PATH ?? callerEnv.PATH;
      const found = await resolveExecutable(program, spec.cwd, path);
      if (found) return pass('executable', `${service.name}: ${program}${found === program ? '' : ` → ${found}`}`);
      const where = program.includes('/') ? `at ${program.startsWith('/') ? program : resolve(spec.cwd, program)}` : 'on PATH';
      return fail('executable', `${service.name}: executable "${program}" not found ${where}`, `install it or fix services.${service.name}.command in stack.yaml`);
    }),
  );
}
