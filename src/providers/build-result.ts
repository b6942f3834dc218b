import type { BuildResult } from '../model/provider.js';
import type { CommandResult } from '../os/runner.js';
import { describeExit } from '../reconcile/idle.js';

/** The lines of a failed build shown with its reason: where a compiler says what is wrong. */
const SHOWN_LINES = 10;
/** A build that runs longer is killed: a watch loop must not hang on one. */
export const BUILD_LIMIT_MS = 30 * 60_000;

/** A command's result as a build's: its reason in words, its last lines (stdout's, then stderr's). */
export function buildResultOf(result: CommandResult): BuildResult {
  const output = [result.stdout, result.stderr].flatMap((text) => text.split('\n').filter((line) => line.trim() !== '')).slice(-SHOWN_LINES);
  if (result.aborted) return { ok: false, cancelled: true, reason: 'cancelled by a newer change', output };
  if (result.spawnError !== undefined) return { ok: false, reason: `could not start: ${result.spawnError}`, output };
  if (result.timedOut) return { ok: false, reason: `did not end within ${BUILD_LIMIT_MS / 60_000} min (killed)`, output };
  if (result.exitCode === 0) return { ok: true, output };
  return { ok: false, reason: describeExit({ code: result.exitCode, signal: result.signal ?? null }), output };
}
