import { readState } from '../../state/state-file.js';
import { signalGroup } from '../../os/runner.js';
import { isOurs } from '../../os/proc-stat.js';

/** The last resort (a second Ctrl+C): SIGKILL every process group the state file records as ours. */
export async function killRecordedGroups(stateFile: string): Promise<void> {
  const state = await readState(stateFile, '').catch(() => undefined);
  for (const record of Object.values(state?.services ?? {})) {
    if (!record.pid || !record.pgid || record.startTicks === undefined || record.pgid <= 1) continue;
    // A recycled pid is never signalled.
    if (await isOurs(record.pid, record.startTicks)) signalGroup(record.pgid, 'SIGKILL');
  }
}
