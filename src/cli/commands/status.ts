import { portOwnersOf, recordProbeResults, viewServices } from '../../api.js';
import { ExitCode } from '../../model/errors.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';
import { renderStatusTable, statusRows } from '../status-view.js';

interface StatusOptions extends GlobalOptions {
  probe?: boolean;
}

export async function run(options: StatusOptions, names: string[]): Promise<number> {
  const workspace = await open(options);
  // Reads only: probes run (and are recorded) when asked for; otherwise the last recorded result is shown.
  const { applied, observed } = await viewServices(workspace, undefined, { probe: options.probe === true });
  checkServiceNames(workspace.desired, applied, names);
  const notRecorded = options.probe ? await recordProbeResults(workspace, observed, applied) : undefined;
  // Who listens on each declared port (never a connection to them).
  const portOwners = await portOwnersOf(workspace, { applied, observed }, names);
  const rows = statusRows(workspace.desired, observed, applied, portOwners).filter((row) => names.length === 0 || names.includes(row.name));
  if (options.json) {
    const holder = await controllerNotice(workspace);
    streams.stdout.write(`${JSON.stringify({ formatVersion: 1, project: workspace.desired.project, ...(holder ? { notice: holder } : {}), services: rows }, null, 2)}\n`);
    return ExitCode.ok;
  }
  const notice = await controllerNotice(workspace);
  if (notice) streams.stderr.write(`${notice}\n`);
  if (notRecorded) streams.stderr.write(`note: the probe results are not recorded: ${notRecorded}\n`);
  streams.stdout.write(renderStatusTable(rows, { color: useColor(options), now: Date.now() }));
  return ExitCode.ok;
}
