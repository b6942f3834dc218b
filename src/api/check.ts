import type { CheckResult } from '../check/types.js';
import type { RunChecksOptions } from '../check/run-checks.js';

export { checksToJson, renderCheckTable } from '../check/render-check.js';
export type { CheckResult } from '../check/types.js';

/**
 * `stack check`: whether this machine can run the stack (executables, docker, plugins,
 * variables, ports). Loaded when called: no other command runs the checks.
 */
export async function runChecks(options: RunChecksOptions = {}): Promise<CheckResult[]> {
  return (await import('../check/run-checks.js')).runChecks(options);
}
