// The engine answers and is a swarm manager: asked before anything touches a swarm stack, so a
// worker node or a plain engine says how to fix it (exit 6) instead of failing half-way.
import { ExitCode, StackError } from '../../model/errors.js';
import type { ProviderCheck } from '../../model/provider.js';
import type { RunCommandOptions } from '../../os/runner.js';
import { checkEngine, type Run } from '../compose/cli.js';
import { swarmInfoArgv } from './argv.js';
import type { SwarmEngine, SwarmInfo } from './engine.js';

const FIX = 'make this engine a swarm manager: `docker swarm init` (or run stack on a manager node), or point DOCKER_HOST or a docker context (`docker context use NAME`) at a manager';

/** Why this engine cannot run swarm stacks, or undefined when it can. Pure. */
export function notAManager(info: SwarmInfo): string | undefined {
  const state = info.LocalNodeState ?? 'inactive';
  if (state === 'active' && info.ControlAvailable) return undefined;
  if (state === 'active') return 'this docker engine is a swarm worker, not a manager: only a manager deploys stacks';
  if (state === 'inactive') return 'this docker engine is not part of a swarm';
  return `this docker engine's swarm is ${state}${info.Error ? ` (${info.Error})` : ''}`;
}

/**
 * Resolves when the engine answers and manages a swarm; otherwise throws exit 6 with the fix.
 * `engine` (engine.ts) asks its API for `docker info`'s answer first; the CLI is asked when it
 * does not answer, and says why the engine is unreachable.
 */
export async function checkSwarmManager(run: Run, options: RunCommandOptions, engine?: SwarmEngine): Promise<void> {
  let info = await engine?.info({ signal: options.signal ?? new AbortController().signal, verbose: options.verbose });
  if (!info) {
    await checkEngine(run, options);
    const result = await run(swarmInfoArgv(), { ...options, timeoutMs: 15_000 });
    try {
      info = JSON.parse(result.stdout) as SwarmInfo;
    } catch {
      // An engine that cannot say is treated as not a manager: the message says what to check.
    }
  }
  const why = notAManager(info ?? {});
  if (why) throw new StackError(ExitCode.providerUnavailable, why, { hint: FIX });
}

/** `stack check`'s line for swarm services. */
export async function checkSwarm(run: Run, verbose?: (line: string) => void): Promise<ProviderCheck[]> {
  try {
    await checkSwarmManager(run, { verbose });
    return [{ check: 'swarm', ok: true, detail: 'this docker engine is a swarm manager' }];
  } catch (error) {
    if (!(error instanceof StackError)) throw error;
    return [{ check: 'swarm', ok: false, detail: error.message, ...(error.hint ? { hint: error.hint } : {}) }];
  }
}
