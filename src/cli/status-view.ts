import pc from 'picocolors';
import { describePortConflict } from '../reconcile/plan-blocks.js';
import { formatCpu, formatHealth, formatLimits, formatMemory, formatObserved, formatPorts, formatUptime } from '../reconcile/status-format.js';
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
/** `-o wide`'s columns after those; COMMAND last, so a long one is cut at the terminal's edge. */
const WIDE_HEADERS = ['CPU', 'MEM', 'COMMAND'];
/** `-o wide` of a stack with limits: what keeps them, before the command. */
const WIDE_LIMIT_HEADERS = ['CPU', 'MEM', 'LIMITS', 'COMMAND'];

export interface StatusTableOptions {
  color: boolean;
  now: number;
  /** `-o wide`: CPU, memory and the command line too. */
  wide?: boolean;
  /** The terminal's width: a wide line is cut to it (none when the output is no terminal, as `ps`). */
  width?: number;
}

export function renderStatusTable(rows: readonly StatusRow[], options: StatusTableOptions): string {
  const limited = rows.some((row) => row.limits !== undefined);
  const headers = options.wide ? [...HEADERS, ...(limited ? WIDE_LIMIT_HEADERS : WIDE_HEADERS)] : HEADERS;
  const c = pc.createColors(options.color);
  const paint = (row: StatusRow, text: string) => {
    const matches = (row.desired === 'running' && row.observed === 'running') || (row.desired !== 'running' && row.observed !== 'running');
    if (row.observed === 'crashed' || row.observed === 'unknown' || row.observed === 'failed') return c.red(text);
    if (row.observed === 'completed') return c.green(text);
    return matches ? c.green(text) : c.yellow(text);
  };
  const cells = rows.map((row) => [
    row.name,
    row.provider,
    row.desired,
    formatObserved(row, options.now),
    row.pid === null ? '-' : String(row.pid),
    formatUptime(row.since, options.now),
    String(row.restarts),
    formatPorts(row),
    formatHealth(row, options.now),
    ...(options.wide ? [formatCpu(row.cpu), formatMemory(row), ...(limited ? [formatLimits(row)] : []), row.command ?? '-'] : []),
  ]);
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((line) => (line[column] as string).length)));
  const pad = (text: string, column: number) => text.padEnd(widths[column] as number);
  const width = options.wide ? options.width : undefined;
  const lines = [c.bold(cutTo(headers.map(pad).join('  ').trimEnd(), width))];
  cells.forEach((line, index) => {
    const row = rows[index] as StatusRow;
    // Cut before painting (escapes take no columns): the OBSERVED cell is painted, its neighbours are not.
    const before = `${line.slice(0, 3).map(pad).join('  ')}  `;
    const observed = pad(line[3] as string, 3);
    const after = cutTo(`  ${line.slice(4).map((cell, column) => pad(cell, column + 4)).join('  ')}`.trimEnd(), width === undefined ? undefined : width - before.length - observed.length);
    lines.push(`${before}${paint(row, observed)}${after}`.trimEnd());
  });
  const notes = rows.flatMap((row) => [...(row.detail && row.observed !== 'running' ? [`  ${row.name}: ${row.detail}`] : []), ...(row.waiting ? [`  ${row.name}: ${row.waiting}`] : []), ...portNotes(row)]);
  if (rows.length === 0) lines.push('(no services)');
  return `${[...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')}\n`;
}

/** `text` within `width` columns, its last one `…` when it was cut; whole without a width. */
function cutTo(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text;
  return width <= 1 ? '…'.slice(0, Math.max(0, width)) : `${text.slice(0, width - 1)}…`;
}

/** The body of `status --json`, the same with a controller or without (`notice`: who acts on the stack now). */
export function renderStatusJson(project: string, services: readonly StatusRow[], notice?: string): string {
  return `${JSON.stringify({ formatVersion: 1, project, ...(notice ? { notice } : {}), services }, null, 2)}\n`;
}
