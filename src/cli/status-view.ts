import pc from 'picocolors';
import { describePortConflict } from '../reconcile/plan-blocks.js';
import type { StatusRow } from '../reconcile/status-rows.js';

export { statusRows, type PortOwnerView, type StatusRow } from '../reconcile/status-rows.js';

/** `8080✓,9090✗,5432✗(pid 42)`: ✓ the service listens, ✗ it does not (another process named when one does); bare when not looked at. */
export function formatPorts(row: Pick<StatusRow, 'ports' | 'portsOpen' | 'portOwners'>): string {
  if (row.ports.length === 0) return '-';
  return row.ports.map((port, index) => {
    const open = row.portsOpen?.[index];
    const owner = row.portOwners?.[index];
    const other = owner?.holder === 'other' ? `(${owner.pid === undefined ? 'another user' : `pid ${owner.pid}`})` : '';
    return `${port}${open === undefined ? '' : open ? '✓' : '✗'}${other}`;
  }).join(',');
}

/** `running`, or for a run that ended by itself: `exited (0)`, `exited (code unknown)`. */
export function formatObserved(row: Pick<StatusRow, 'observed' | 'exit'>): string {
  if (row.observed !== 'stopped' || !row.exit) return row.observed;
  if (row.exit.signal) return `killed (${row.exit.signal})`;
  return `exited (${row.exit.code ?? 'code unknown'})`;
}

/** `ready 3m ago`, `unhealthy 10s ago: connection refused`; `-` without a result. */
export function formatHealth(row: Pick<StatusRow, 'health' | 'healthAt' | 'healthReason'>, now: number): string {
  if (row.health === 'none') return '-';
  if (!row.healthAt) return row.health;
  return `${row.health} ${formatUptime(row.healthAt, now)} ago${row.healthReason ? `: ${row.healthReason}` : ''}`;
}

/** Lines under the table naming the processes that hold a service's ports instead of it. */
function portNotes(row: StatusRow): string[] {
  return (row.portOwners ?? [])
    .filter((owner) => owner.holder === 'other')
    .map((owner) => `  ${row.name}: ${describePortConflict(owner)}, not by ${row.name}`);
}

export function formatUptime(since: string | null, now: number): string {
  if (!since) return '-';
  const seconds = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d${Math.floor((seconds % 86_400) / 3600)}h`;
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
