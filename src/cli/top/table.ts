import type pc from 'picocolors';
import stringWidth from 'string-width';
import type { StatusRow } from '../../reconcile/status-rows.js';
import { formatCpu, formatHealth, formatMemory, formatObserved, formatPorts, formatUptime, stateTone } from '../../reconcile/status-format.js';

export { formatBytes, formatCpu } from '../../reconcile/status-format.js';

// `stack top`'s table of services: which columns fit, and each row as one line `width` wide.

/** A status row (`cpu` and `memory` absent: not measured). */
export type TopRow = StatusRow;

export type Colors = ReturnType<typeof pc.createColors>;

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
  { header: 'MEM', priority: 7, max: 17, cell: (row) => formatMemory(row) },
  { header: 'HEALTH', priority: 2, max: 24, cell: (row, now) => formatHealth(row, now) },
  { header: 'PORTS', priority: 10, max: 24, cell: (row) => formatPorts(row) },
];

const GAP = 2;
/** The selection marker's column. */
const MARK = 2;

export type Fitted = readonly { column: Column; width: number }[];

/** The table's header line. */
export function headerLine(columns: Fitted, width: number): string {
  return fit(' '.repeat(MARK) + columns.map(({ column, width: w }) => fit(column.header, w)).join(' '.repeat(GAP)), width);
}

/** One row: its cells, then why it is not running in what room is left. */
export function rowLine(row: TopRow, selected: boolean, columns: Fitted, width: number, now: number, c: Colors): string {
  const cells = columns.map(({ column, width: w }) => {
    const text = fit(column.cell(row, now), w);
    return column.header === 'OBSERVED' ? paint(row, text, c) : text;
  });
  const used = MARK + columns.reduce((sum, { width: w }) => sum + w + GAP, 0);
  // Why a service is not running (crash-looping, given up, stopped with a dependency), in what is left.
  const room = Math.max(0, width - used);
  const why = fit(row.detail && row.observed !== 'running' ? row.detail : (row.waiting ?? ''), room);
  const line = `${selected ? '> ' : '  '}${cells.join(' '.repeat(GAP))}${' '.repeat(GAP)}${c.dim(why)}`;
  return selected ? c.inverse(line) : line;
}

function paint(row: TopRow, text: string, c: Colors): string {
  const tone = stateTone(row);
  return tone === 'bad' ? c.red(text) : tone === 'ok' ? c.green(text) : c.yellow(text);
}

/** The columns that fit in `room`, each as wide as its widest cell (up to its max), dropped by priority. */
export function fitColumns(rows: readonly TopRow[], now: number, room: number): { column: Column; width: number }[] {
  let kept = COLUMNS.map((column) => ({
    column,
    width: Math.min(column.max, Math.max(column.header.length, ...rows.map((row) => widthOf(column.cell(row, now))))),
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

/** Exactly `width` columns: cut with `…`, or filled with `fill`. */
export function fit(raw: string, width: number, fill = ' '): string {
  if (width <= 0) return '';
  const text = printable(raw);
  const total = widthOf(text);
  if (total <= width) return text + fill.repeat(width - total);
  // Cut between characters as the terminal draws them: a wide one (CJK, most emoji) takes two columns.
  let kept = '';
  let used = 0;
  for (const { segment } of GRAPHEMES.segment(text)) {
    const each = stringWidth(segment);
    if (used + each > width - 1) break;
    kept += segment;
    used += each;
  }
  return `${kept}…${fill.repeat(width - 1 - used)}`;
}

const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Text as a terminal should show it: escape sequences and control characters (C0, DEL, C1: a
 * service's log, an exec status line, a project name may hold any) removed, a tab as two spaces.
 */
export function printable(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[ -~]?|[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, '').replaceAll('\t', '  ');
}

/** Columns `text` takes on a terminal; plain ASCII (nearly every cell) is its length, measured without string-width's regexes. */
export function widthOf(text: string): number {
  return /^[\x20-\x7e]*$/.test(text) ? text.length : stringWidth(text);
}
