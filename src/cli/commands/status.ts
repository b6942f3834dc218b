import { controllerOfStack, findStack, limitMechanismName, portOwnersOf, recordProbeResults, usageOf, viewServices } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import type { StatusRow } from '../../reconcile/status-rows.js';
import { expandReplicaNames } from '../../config/replicas.js';
import { open, serviceNamesOf, streams, useColor, type GlobalOptions } from '../context.js';
import { controllerNotice, noticeFor } from '../controller-notice.js';
import { renderStatusTable, statusRows } from '../status-view.js';
import { throughController } from '../through-controller.js';

export interface StatusOptions extends GlobalOptions {
  probe?: boolean;
  /** `wide`: CPU, memory and the command line as columns; without a controller, CPU read over 200 ms and compose services' figures asked of the engine. */
  output?: 'wide';
}

interface StatusView {
  project: string;
  rows: StatusRow[];
  notice?: string;
  notRecorded?: string;
}

export async function run(options: StatusOptions, names: string[]): Promise<number> {
  // A running controller knows every service's state: asked, nothing is observed or probed here.
  const view = (!options.probe && (await fromController(options, names))) || (await observeHere(options, names));
  if (options.json) {
    streams.stdout.write(`${JSON.stringify({ formatVersion: 1, project: view.project, ...(view.notice ? { notice: view.notice } : {}), services: view.rows }, null, 2)}\n`);
    return ExitCode.ok;
  }
  if (view.notice) streams.stderr.write(`${view.notice}\n`);
  if (view.notRecorded) streams.stderr.write(`note: the probe results are not recorded: ${view.notRecorded}\n`);
  const wide = options.output === 'wide';
  const width = wide && streams.stdout.isTTY ? streams.stdout.columns : undefined;
  streams.stdout.write(renderStatusTable(view.rows, { color: useColor(options), now: Date.now(), wide, ...(width ? { width } : {}) }));
  return ExitCode.ok;
}

async function fromController(options: StatusOptions, written: readonly string[]): Promise<StatusView | undefined> {
  const body = await throughController(options, (api) => api.status(), 'showing what stack observes itself');
  // stack.yaml does not load: reading it here says why, with its line and column (exit 5), as without a controller.
  if (!body || body.stackFileError !== undefined) return undefined;
  const names = expandReplicaNames(body.services.map((row) => row.name), written);
  const unknown = names.filter((name) => !body.services.some((row) => row.name === name));
  if (unknown.length > 0) {
    throw new StackError(ExitCode.serviceNotFound, `no service named ${unknown.map((name) => `"${name}"`).join(', ')} in ${findStack({ file: options.file })}`, {
      hint: `services: ${body.services.map((row) => row.name).join(', ') || '(none)'}`,
    });
  }
  const rows = body.services.filter((row) => names.length === 0 || names.includes(row.name));
  return { project: body.project, rows, notice: noticeFor(await controllerOfStack(findStack({ file: options.file }))) };
}

export async function observeHere(options: StatusOptions, written: readonly string[]): Promise<StatusView> {
  const workspace = await open(options);
  // Reads only: probes run (and are recorded) when asked for; otherwise the last recorded result is shown.
  const { applied, observed } = await viewServices(workspace, undefined, { probe: options.probe === true });
  const names = serviceNamesOf(workspace.desired, applied, written);
  const notRecorded = options.probe ? await recordProbeResults(workspace, observed, applied) : undefined;
  // Memory and the command line from one reading of /proc, for the rows that show them (-o wide,
  // --json); CPU needs two, so only -o wide waits for the second (and asks docker). The table
  // has no column for them: it reads none (a scan of every process, ~90 ms with 1,000 services).
  // Who listens on each declared port (never a connection to them).
  const wide = options.output === 'wide';
  const [usage, portOwners] = await Promise.all([
    wide || options.json ? usageOf(workspace, { applied, observed }, { rate: wide }) : undefined,
    portOwnersOf(workspace, { applied, observed }, names),
  ]);
  const rows = statusRows(workspace.desired, observed, applied, { portOwners, usage, now: Date.now(), mechanism: limitMechanismName() }).filter((row) => names.length === 0 || names.includes(row.name));
  return { project: workspace.desired.project, rows, notice: await controllerNotice(workspace), notRecorded };
}
