/** `stack check`: every check of this machine against one stack, in a fixed order. */

import { findStackFile } from '../load/find-stack.js';
import { readStackDetailed } from '../load/read-stack.js';
import { PROVIDERS } from '../providers/registry.js';
import { redactorOf } from '../config/secrets.js';
import { statePaths } from '../state/paths.js';
import { readState } from '../state/state-file.js';
import { checkVariables } from './check-config.js';
import { checkPorts } from './check-ports.js';
import { checkNode, checkStateDir } from './check-system.js';
import { checkLinger } from './check-boot.js';
import { checkLimits } from './check-limits.js';
import { limitMechanism } from '../os/cgroups.js';
import { checkNeighbours } from './check-neighbours.js';
import { userInfo } from 'node:os';
import { createProviderRegistry } from '../providers/registry.js';
import type { DesiredService } from '../model/desired.js';
import { pass, type CheckResult } from './types.js';

export interface RunChecksOptions {
  file?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  verbose?: (line: string) => void;
}

/**
 * Runs every check. An unreadable or invalid stack.yaml still throws (exit 3 or 5): nothing
 * else can be judged without it. Missing required variables and broken plugin folders are
 * reported as failed checks instead, so the rest is still checked.
 */
export async function runChecks(options: RunChecksOptions = {}): Promise<CheckResult[]> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = findStackFile({ cwd, explicit: options.file, env });
  const { desired, missingVariables } = await readStackDetailed(file, { providers: PROVIDERS, cwd, env, requireVariables: false, checkPlugins: false });
  const redact = redactorOf(desired);
  const verbose = options.verbose ? (line: string) => options.verbose?.(redact(line)) : undefined;
  const paths = statePaths(desired.root);
  const state = await readState(paths.stateFile, desired.project).catch(() => undefined);
  const applied = new Map(Object.entries(state?.services ?? {}));
  const enabled = desired.services.filter((service) => service.enabled);

  const user = userInfo();
  const [providers, ports, stateDir, boot, neighbours] = await Promise.all([
    checkProviders(enabled, { verbose, env, cwd }),
    checkPorts(enabled, applied, redact),
    checkStateDir(paths.dir),
    checkLinger(desired.project, desired.file, { user: env.USER ?? user.username, home: env.HOME ?? user.homedir, xdgConfigHome: env.XDG_CONFIG_HOME, verbose }),
    checkNeighbours(desired, env),
  ]);
  return [
    checkNode(),
    pass('config', `${desired.file} is valid (${enabled.length} of ${desired.services.length} services enabled)`),
    ...checkVariables(missingVariables),
    ...providers,
    ...ports,
    ...checkLimits(enabled, limitMechanism()),
    ...neighbours,
    stateDir,
    ...boot,
  ].map((result) => ({ ...result, detail: redact(result.detail) }));
}

/** What each provider in use has to say about this machine (programs, plugin folders, docker, the spawner), asked once per provider. */
async function checkProviders(enabled: readonly DesiredService[], ctx: { verbose: ((line: string) => void) | undefined; env: NodeJS.ProcessEnv; cwd: string }): Promise<CheckResult[]> {
  const registry = createProviderRegistry();
  const names = [...new Set(enabled.map((service) => service.provider))].sort();
  const results = await Promise.all(
    names.map(async (name) => {
      const provider = await registry.get(name);
      return (await provider.checks?.(enabled.filter((service) => service.provider === name), ctx)) ?? [];
    }),
  );
  return results.flat();
}
