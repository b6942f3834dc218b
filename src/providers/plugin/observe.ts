import { CUT_MARK } from '../../config/sensitive.js';
import type { DesiredService } from '../../model/desired.js';
import type { AppliedService, ObservedService } from '../../model/observed.js';
import { runCommand } from '../../os/runner.js';
import type { OperationContext } from '../../model/provider.js';
import { loadTarget, redactorFor } from './plugin-target.js';
import { readStatusAnswer } from './status.js';

/**
 * What a plugin service is now. Stack installs a plugin before anything else, so one it never
 * recorded is absent. With a `status` command its answer decides; without one the last state
 * stack recorded stands, marked `(assumed)`.
 */
export async function observePlugin(
  name: string,
  desired: DesiredService | undefined,
  applied: AppliedService | undefined,
  ctx: OperationContext,
): Promise<ObservedService> {
  if (!applied) return { name, phase: 'absent' };
  const base = { name, restarts: applied.restarts, ...(applied.startedAt && !applied.stoppedByUs ? { since: applied.startedAt } : {}) };
  const loaded = await loadTarget(name, desired, applied);
  if (!loaded.ok) {
    // A disabled or removed plugin whose folder is gone has nothing left to stop.
    const leaving = !desired?.enabled;
    if (leaving && loaded.missing) return { ...base, phase: 'stopped', detail: `plugin folder is gone (assumed stopped)` };
    return { ...base, phase: 'unknown', detail: loaded.reason };
  }
  const { plugin, env } = loaded.target;
  const status = plugin.lifecycle.status;
  if (status === undefined) {
    const running = applied.stoppedByUs !== true && applied.startedAt !== undefined;
    return { ...base, phase: running ? 'running' : 'stopped', detail: `${running ? 'running' : 'stopped'} (assumed): no status command` };
  }
  const result = await runCommand(['sh', '-c', status], { cwd: plugin.dir, env, timeoutMs: plugin.timeoutsMs.status, signal: ctx.signal, verbose: ctx.verbose, redact: redactorFor(loaded.target, ctx) });
  const phase = result.timedOut ? 'unknown' : readStatusAnswer(result.exitCode, result.stdout);
  if (phase !== 'unknown') return { ...base, phase };
  const why = result.timedOut
    ? 'status timed out'
    : result.spawnError
      ? `status could not run (${result.spawnError})`
      : `status exited with code ${result.exitCode}`;
  // Already redacted (runCommand); cut after that, so no piece of a secret can be left at the cut.
  const said = excerpt((result.stdout || result.stderr).split('\n')[0]?.trim() ?? '');
  return { ...base, phase: 'unknown', detail: said ? `${why}: ${said}` : why };
}

/** How much of a status command's first line `status` quotes. */
const SAID_LIMIT = 200;

function excerpt(line: string): string {
  return line.length > SAID_LIMIT ? `${line.slice(0, SAID_LIMIT - 1)}${CUT_MARK}` : line;
}
