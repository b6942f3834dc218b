import type { DesiredService } from '../../model/desired.js';
import type { BuildResult, OperationContext } from '../../model/provider.js';
import { runCommand } from '../../os/runner.js';
import { BUILD_LIMIT_MS, buildResultOf } from '../build-result.js';
import { processSpecOf } from './start.js';

/**
 * A process service's `build:` (issue 31): run to its end in the service's folder with its
 * environment, in a process group of its own that is killed when a newer change cancels it.
 */
export function buildProcess(service: DesiredService, ctx: OperationContext): Promise<BuildResult> | undefined {
  const argv = service.dev?.build;
  if (!argv) return undefined;
  const spec = processSpecOf(service);
  return runCommand(argv, { cwd: spec.cwd, env: spec.env, signal: ctx.signal, timeoutMs: BUILD_LIMIT_MS, verbose: ctx.verbose, redact: ctx.redact }).then(buildResultOf);
}
