/** The docker engine answers and a compose CLI is installed: asked only when compose services are enabled. */

import { StackError } from '../../model/errors.js';
import type { ProviderCheck } from '../../model/provider.js';
import { runCommand } from '../../os/runner.js';
import { checkEngine, detectComposeCli, type Run } from './cli.js';

const pass = (check: string, detail: string): ProviderCheck => ({ check, ok: true, detail });
const fail = (check: string, detail: string, hint?: string): ProviderCheck => (hint === undefined ? { check, ok: false, detail } : { check, ok: false, detail, hint });

/**
 * The compose provider's own detection, so `stack check` and `stack apply` never disagree about
 * whether docker is usable; its exit-6 errors become failed checks with their hints.
 */
export async function checkDocker(verbose?: (line: string) => void, run: Run = runCommand): Promise<ProviderCheck[]> {
  const options = { verbose };
  const results: ProviderCheck[] = [];
  try {
    results.push(pass('docker', `docker engine ${await checkEngine(run, options)} is reachable`));
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    results.push(fail('docker', error.message, error.hint));
    // Without the docker CLI there is no compose CLI to look for.
    if ((await run(['docker', '--version'], options)).spawnError) return results;
  }
  try {
    const cli = await detectComposeCli(run, options);
    results.push(pass('compose', cli.flavour === 'v2' ? `docker compose ${cli.version}` : `docker-compose ${cli.version} (v1)`));
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    results.push(fail('compose', error.message, error.hint));
  }
  return results;
}
