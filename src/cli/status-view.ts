import pc from 'picocolors';
import { describePortConflict } from '../reconcile/plan-blocks.js';
import { formatHealth, formatObserved, formatPorts, formatUptime } from '../reconcile/status-format.js';
import type { StatusRow } from '../reconcile/status-rows.js';

export { statusRows, type PortOwnerView, type StatusRow } from '../reconcile/status-rows.js';
export { formatHealth, formatObserved, formatPorts, formatUptime } from '../reconcile/status-format.js';

/** Lines under the table naming the processes that hold a service's ports instead of it. */
function portNotes(row: StatusRow): string[] {
  return (row.portOwners ?? [])
    .filter((owner) => owner.holder === 'other')
    .map((owner) => `  ${row.name}: ${describePortConflict(owner)}, not by ${row.name}`);
}

const HEADERS = ['NAME', 'PROVIDER', 'DESIRED', 'OBSERVED', 'PID', 'UPTIME', 'RESTARTS', 'PORTS', 'HEALTH'];

export function renderStatusTable(rows: readonly StatusRow[], options: { color: boolean; now: number }): string {
  const c = pc.createColors(options.color);
  const paint = (row: StatusRow, text: string) => {
    const matches = (row.desired === 'running' && row.observed === 'running') || (row.desired !== 'running' && row.observed !== 'running');
    if (row.observed === 'crashed' || row.observed === 'unknown') return c.red(text);
    return matches ? c.green(text) : c.yellow(text);
  };
  const cells = rows.map((row) => [
    row.name,
    row.provider,
    row.desired,
    formatObserved(row),
    row.pid === null ? '-' : String(row.pid),
    formatUptime(row.since, options.now),
    String(row.restarts),
    formatPorts(row),
    formatHealth(row, options.now),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...cells.map((line) => (line[column] as string).length)));
  const pad = (text: string, column: number) => text.padEnd(widths[column] as number);
  const lines = [c.bold(HEADERS.map(pad).join('  ').trimEnd())];
  cells.forEach((line, index) => {
    const row = rows[index] as StatusRow;
    lines.push(line.map((cell, column) => (column === 3 ? paint(row, pad(cell, column)) : pad(cell, column))).join('  ').trimEnd());
  });
  const notes = rows.flatMap((row) => [...(row.detail && row.observed !== 'running' ? [`  ${row.name}: ${row.detail}`] : []), ...portNotes(row)]);
  if (rows.length === 0) lines.push('(no services)');
  return `${[...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')}\n`;
}

/** The body of `status --json`, the same with a controller or without (`notice`: who acts on the stack now). */
export function renderStatusJson(project: string, services: readonly StatusRow[], notice?: string): string {
  return `${JSON.stringify({ formatVersion: 1, project, ...(notice ? { notice } : {}), services }, null, 2)}\n`;
}
