import { apply, killRecordedGroups, observe, readApplied, type Workspace } from '../api.js';
import { ExitCode } from '../model/errors.js';
import { planDown } from '../reconcile/plan-down.js';
import { streams } from './context.js';
import { ProgressView } from './progress.js';

/**
 * Stops every running service in reverse order (`stack up` after Ctrl+C). A second Ctrl+C
 * kills every recorded process group at once and leaves with 130.
 */
export async function stopEverything(
  workspace: Workspace,
  options: { parallel: number; color: boolean; beforeStop?: () => Promise<void>; beforeExit?: () => Promise<void> },
): Promise<number> {
  const controller = new AbortController();
  const kill = () => {
    streams.stderr.write('killing every service now\n');
    controller.abort();
    void killRecordedGroups(workspace)
      .then(() => options.beforeExit?.())
      .finally(() => process.exit(ExitCode.interrupted));
  };
  process.once('SIGINT', kill);
  process.once('SIGTERM', kill);
  try {
    await options.beforeStop?.();
    const applied = await readApplied(workspace);
    const observed = await observe(workspace, applied);
    const plan = planDown(workspace.desired, observed, applied);
    const view = new ProgressView(streams.stderr, false, options.color);
    const outcome = await apply(workspace, { plan, observed, applied }, { parallel: options.parallel, signal: controller.signal, onProgress: view.onProgress });
    view.close();
    return outcome.failed > 0 ? ExitCode.actionFailed : ExitCode.ok;
  } finally {
    process.off('SIGINT', kill);
    process.off('SIGTERM', kill);
  }
}
