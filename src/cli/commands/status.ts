import { viewServices, type Workspace } from '../../api.js';
import { redactorOf } from '../../config/secrets.js';
import { ExitCode } from '../../model/errors.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';
import { findPortOwners, type PortOwner } from '../../os/port-owners.js';
import { readListeners } from '../../os/ports.js';
import type { Applied } from '../../model/observed.js';
import { renderStatusTable, statusRows } from '../status-view.js';
import { recordProbeResults } from '../status-probe.js';

interface StatusOptions extends GlobalOptions {
  probe?: boolean;
}

export async function run(options: StatusOptions, names: string[]): Promise<number> {
  const workspace = await open(options);
  // Reads only: probes run (and are recorded) when asked for; otherwise the last recorded result is shown.
  const { applied, observed } = await viewServices(workspace, undefined, { probe: options.probe === true });
  checkServiceNames(workspace.desired, applied, names);
  const notRecorded = options.probe ? await recordProbeResults(workspace, observed, applied) : undefined;
  const portOwners = await portOwnersOf(workspace, applied, names);
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

/** Who listens on each shown service's ports, read from /proc (never a connection to them). */
async function portOwnersOf(workspace: Workspace, applied: Applied, names: readonly string[]): Promise<Map<string, PortOwner[]>> {
  const shown = workspace.desired.services.filter((service) => service.ports.length > 0 && (names.length === 0 || names.includes(service.name)));
  if (shown.length === 0) return new Map();
  const listeners = await readListeners();
  // A foreign command line may hold one of our secrets (an old copy started by hand, say).
  const redact = redactorOf(workspace.desired);
  return new Map(
    await Promise.all(
      shown.map(async (service) => {
        const record = applied.get(service.name);
        const pgid = record?.pid === undefined ? undefined : (record.pgid ?? record.pid);
        const owners = await findPortOwners(service.ports, { pgid, grouped: service.provider === 'process' }, listeners);
        return [service.name, owners.map((owner) => (owner.kind === 'foreign' && owner.command !== undefined ? { ...owner, command: redact(owner.command) } : owner))] as const;
      }),
    ),
  );
}
