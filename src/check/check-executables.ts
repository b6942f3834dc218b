/** Every enabled process service's program can be found and run, as the service would look it up. */

import { resolve } from 'node:path';
import type { DesiredService, DesiredServiceOf } from '../model/desired.js';
import { resolveExecutable } from '../os/executables.js';
import { fail, pass, type CheckResult } from './types.js';

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
