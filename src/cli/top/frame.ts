import pc from 'picocolors';
import type { StatusRow } from '../../reconcile/status-rows.js';
import { formatHealth, formatObserved, formatPorts, formatUptime } from '../status-view.js';

// `stack top`'s screen as a pure function: the same input gives the same lines, each exactly
// `width` columns wide (before colour), `height` of them, so the terminal code only writes them.

/** A status row, with the CPU and memory a controller may measure (absent: not measured). */
export type TopRow = StatusRow & { cpu?: number | null; memoryBytes?: number | null };

export interface FrameInput {
  rows: readonly TopRow[];
  /** Index into the rows the filter keeps. */
  selected: number;
  /** The selected service's last log lines, oldest first. */
  logLines: readonly string[];
  width: number;
  height: number;
  color: boolean;
  now: number;
  /** What the title says: the project and where the rows come from. */
  title: string;
  /** Keeps the rows whose name contains it. */
  filter?: string;
  help?: boolean;
}

interface Column {
  header: string;
  /** Lower is kept longer when the terminal is narrow. */
  priority: number;
  max: number;
  cell: (row: TopRow, now: number) => string;
}

const COLUMNS: Column[] = [
  { header: 'NAME', priority: 0, max: 24, cell: (row) => row.name },
  { header: 'PROVIDER', priority: 9, max: 10, cell: (row) => row.provider },
  { header: 'DESIRED', priority: 8, max: 10, cell: (row) => (row.enabled ? row.desired : 'disabled') },
  { header: 'OBSERVED', priority: 1, max: 22, cell: (row) => formatObserved(row) },
  { header: 'PID', priority: 5, max: 8, cell: (row) => (row.pid === null ? '-' : String(row.pid)) },
  { header: 'UPTIME', priority: 3, max: 8, cell: (row, now) => formatUptime(row.since, now) },
  { header: 'RESTARTS', priority: 4, max: 8, cell: (row) => String(row.restarts) },
  { header: 'CPU', priority: 6, max: 7, cell: (row) => formatCpu(row.cpu) },
  { header: 'MEM', priority: 7, max: 7, cell: (row) => formatBytes(row.memoryBytes) },
  { header: 'HEALTH', priority: 2, max: 24, cell: (row, now) => formatHealth(row, now) },
  { header: 'PORTS', priority: 10, max: 24, cell: (row) => formatPorts(row) },
];

const GAP = 2;
/** The selection marker's column. */
const MARK = 2;

export const KEYS: readonly [string, string][] = [
  ['↑ ↓  j k', 'move'],
  ['q  Ctrl+C', 'quit'],
];

export function renderFrame(input: FrameInput): string[] {
  const { width, height } = input;
  const c = pc.createColors(input.color);
  const rows = visibleRows(input.rows, input.filter);
  const selected = clamp(input.selected, 0, rows.length - 1);
  const columns = fitColumns(rows, input.now, width - MARK);
  // The table first; the log keeps a third of what is left (at least 3 lines when there is room).
  const room = height - 4;
  const tableHeight = clamp(rows.length, 1, Math.max(1, room - Math.max(3, Math.floor(room / 3))));
  const offset = clamp(selected - tableHeight + 1, 0, Math.max(0, rows.length - tableHeight));
  const lines: string[] = [];
  const filter = input.filter ? `  filter: ${input.filter}` : '';
  lines.push(c.bold(fit(` ${input.title}${filter}`, width)));
  lines.push(c.bold(fit(' '.repeat(MARK) + columns.map(({ column, width: w }) => fit(column.header, w)).join(' '.repeat(GAP)), width)));
  for (let index = offset; index < offset + tableHeight; index += 1) {
    const row = rows[index];
    if (!row) {
      lines.push(fit(index === 0 ? `  ${input.filter ? '(no service matches the filter)' : '(no services)'}` : '', width));
      continue;
    }
    lines.push(rowLine(row, index === selected, columns, input, c));
  }
  const paneHeight = height - lines.length - 2;
  const name = rows[selected]?.name;
  if (input.help) {
    lines.push(c.bold(fit('── keys ', width, '─')));
    lines.push(...pad(KEYS.map(([keys, what]) => fit(`  ${keys.padEnd(12)}${what}`, width)), paneHeight, width));
  } else {
    lines.push(c.bold(fit(`── ${name ? `log: ${name} ` : ''}`, width, '─')));
    const log = input.logLines.slice(-paneHeight).map((line) => fit(plain(line), width));
    lines.push(...pad(log.length > 0 ? log : [c.dim(fit('  (no log lines)', width))], paneHeight, width));
  }
  lines.push(c.dim(fit(' ↑↓/jk move  ? help  q quit', width)));
  return lines.slice(0, height);
}

function rowLine(row: TopRow, selected: boolean, columns: readonly { column: Column; width: number }[], input: FrameInput, c: ReturnType<typeof pc.createColors>): string {
  const cells = columns.map(({ column, width: w }) => {
    const text = fit(column.cell(row, input.now), w);
    return column.header === 'OBSERVED' ? paint(row, text, c) : text;
  });
  const used = MARK + columns.reduce((sum, { width: w }) => sum + w + GAP, 0);
  // Why a service is not running (crash-looping, given up, stopped with a dependency), in what is left.
  const room = Math.max(0, input.width - used);
  const why = fit(row.detail && row.observed !== 'running' ? row.detail : '', room);
  const line = `${selected ? '> ' : '  '}${cells.join(' '.repeat(GAP))}${' '.repeat(GAP)}${c.dim(why)}`;
  return selected ? c.inverse(line) : line;
}

function paint(row: TopRow, text: string, c: ReturnType<typeof pc.createColors>): string {
  if (row.observed === 'crashed' || row.observed === 'unknown' || row.detail) return c.red(text);
  const matches = (row.desired === 'running') === (row.observed === 'running');
  return matches ? c.green(text) : c.yellow(text);
}

/** The columns that fit in `room`, each as wide as its widest cell (up to its max), dropped by priority. */
export function fitColumns(rows: readonly TopRow[], now: number, room: number): { column: Column; width: number }[] {
  let kept = COLUMNS.map((column) => ({
    column,
    width: Math.min(column.max, Math.max(column.header.length, ...rows.map((row) => column.cell(row, now).length))),
  }));
  const total = () => kept.reduce((sum, { width: w }) => sum + w, 0) + GAP * kept.length;
  while (total() > room && kept.length > 1) {
    const drop = kept.reduce((worst, each) => (each.column.priority > worst.column.priority ? each : worst));
    kept = kept.filter((each) => each !== drop);
  }
  const only = kept[0];
  if (kept.length === 1 && only && total() > room) only.width = Math.max(1, room - GAP);
  return kept;
}

function visibleRows(rows: readonly TopRow[], filter: string | undefined): readonly TopRow[] {
  return filter ? rows.filter((row) => row.name.includes(filter)) : rows;
}

/** Exactly `width` columns: cut with `…`, or filled with `fill`. */
export function fit(text: string, width: number, fill = ' '): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length > width) return `${chars.slice(0, width - 1).join('')}…`;
  return text + fill.repeat(width - chars.length);
}

function pad(lines: string[], height: number, width: number): string[] {
  const kept = lines.slice(0, Math.max(0, height));
  while (kept.length < height) kept.push(' '.repeat(width));
  return kept;
}

/** A log line as text only: a service's own escape sequences and control characters would move the cursor. */
function plain(line: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|[\x00-\x08\x0b-\x1f\x7f]/g, '').replaceAll('\t', '  ');
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}

export function formatCpu(cpu: number | null | undefined): string {
  return cpu === null || cpu === undefined ? '-' : `${cpu < 10 ? cpu.toFixed(1) : Math.round(cpu)}%`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}
