/** `stack check`: every process service's program can be found and run, as the service would look it up. */

import { resolve } from 'node:path';
import type { DesiredService } from '../../model/desired.js';
import type { ProviderCheck } from '../../model/provider.js';
import { resolveExecutable } from '../../os/executables.js';
import { describeAccount, readAccountFiles } from '../../os/accounts.js';
import { judgeAccount } from './accounts.js';

export async function checkExecutables(services: readonly DesiredService[], callerEnv: NodeJS.ProcessEnv): Promise<ProviderCheck[]> {
  return Promise.all(
    services.flatMap((service) => (service.process ? [{ name: service.name, spec: service.process }] : [])).map(async ({ name, spec }) => {
      const program = spec.shell ? '/bin/sh' : (spec.argv[0] ?? '');
      const path = spec.env.PATH ?? callerEnv.PATH;
      const found = await resolveExecutable(program, spec.cwd, path);
      if (found) return { check: 'executable', ok: true, detail: `${name}: ${program}${found === program ? '' : ` → ${found}`}` };
      const where = program.includes('/') ? `at ${program.startsWith('/') ? program : resolve(spec.cwd, program)}` : 'on PATH';
      return { check: 'executable', ok: false, detail: `${name}: executable "${program}" not found ${where}`, hint: `install it or fix services.${name}.command in stack.yaml` };
    }),
  );
}

/** `stack check`: each process service's `user:` names an account, and stack may become it. */
export function checkAccountsRun(services: readonly DesiredService[]): ProviderCheck[] {
  const named = services.flatMap((service) => (service.process?.user === undefined ? [] : [{ name: service.name, spec: service.process }]));
  if (named.length === 0) return [];
  const files = readAccountFiles();
  return named.map(({ name, spec }): ProviderCheck => {
    const verdict = judgeAccount(name, spec, files);
    if (!verdict.ok) return { check: 'user', ok: false, detail: verdict.message, ...(verdict.hint ? { hint: verdict.hint } : {}) };
    const account = verdict.account;
    return { check: 'user', ok: true, detail: `${name}: runs as ${account ? `${describeAccount(account)} (uid ${account.uid}, gid ${account.gid})` : 'stack'}` };
  });
}
