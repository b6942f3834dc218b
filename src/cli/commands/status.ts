import { viewServices } from '../../api.js';
import { ExitCode } from '../../errors.js';
import { checkServiceNames, open, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice } from '../controller-notice.js';
import { probePortsOpen } from '../../providers/port-probe.js';
import { renderStatusTable, statusRows } from '../status-view.js';

export async function run(options: GlobalOptions, names: string[]): Promise<number> {
  const workspace = await open(options);
  const { applied, observed } = await viewServices(workspace);
  checkServiceNames(workspace.desired, applied, names);
  const shown = workspace.desired.services.filter((service) => names.length === 0 || names.includes(service.name));
  const portsOpen = new Map(await Promise.all(shown.map(async (service) => [service.name, await probePortsOpen(service.ports)] as const)));
  const rows = statusRows(workspace.desired, observed, applied, portsOpen).filter((row) => names.length === 0 || names.includes(row.name));
  if (options.json) {
    const holder = await controllerNotice(workspace);
    streams.stdout.write(`${JSON.stringify({ formatVersion: 1, project: workspace.desired.project, ...(holder ? { notice: holder } : {}), services: rows }, null, 2)}\n`);
    return ExitCode.ok;
  }
  const notice = await controllerNotice(workspace);
  if (notice) streams.stderr.write(`${notice}\n`);
  streams.stdout.write(renderStatusTable(rows, { color: useColor(options), now: Date.now() }));
  return ExitCode.ok;
}
