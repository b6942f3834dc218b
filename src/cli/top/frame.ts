import pc from 'picocolors';
import { fit, fitColumns, headerLine, rowLine, type Colors } from './table.js';
import { KEYS, MESSAGE_MS, selectedIndex, visibleRows, type View } from './view.js';

export { fit, formatBytes, formatCpu, type TopRow } from './table.js';

// `stack top`'s screen as a pure function: the same input gives the same lines, each exactly
// `width` columns wide (before colour), `height` of them, so the terminal code only writes them.

/** A line of the selected service's log, or a marker stack put there (an exit, a restart). */
export interface LogEntry {
  text: string;
  marker?: boolean;
}

export interface FrameInput {
  view: View;
  /** The selected service's last log lines, oldest first. */
  log: readonly LogEntry[];
  width: number;
  height: number;
  color: boolean;
  now: number;
  /** What the title says: the project and where the rows come from. */
  title: string;
  /** The title and every row, nothing else (`--once`): `height` is not held to. */
  tableOnly?: boolean;
}

export function renderFrame(input: FrameInput): string[] {
  const { view, width, height } = input;
  const c = pc.createColors(input.color);
  const lines = [c.bold(titleLine(input.title, badges(view), width))];
  if (view.fullLog) {
    lines.push(...bottomPane(input, height - 2, c));
  } else {
    const rows = visibleRows(view);
    const selected = selectedIndex(view);
    const columns = fitColumns(rows, input.now, width - 2);
    // The table first; the pane below keeps a third of what is left (at least 3 lines when there is room).
    const room = height - 4;
    const tableHeight = input.tableOnly ? Math.max(1, rows.length) : clamp(rows.length, 1, Math.max(1, room - Math.max(3, Math.floor(room / 3))));
    const offset = clamp(selected - tableHeight + 1, 0, Math.max(0, rows.length - tableHeight));
    lines.push(c.bold(headerLine(columns, width)));
    for (let index = offset; index < offset + tableHeight; index += 1) {
      const row = rows[index];
      if (row) lines.push(rowLine(row, index === selected, columns, width, input.now, c));
      else lines.push(fit(index === 0 ? `  ${view.filter ? '(no service matches the filter)' : '(no services)'}` : '', width));
    }
    if (input.tableOnly) return lines;
    lines.push(...bottomPane(input, height - lines.length - 1, c));
  }
  lines.push(statusLine(view, width, input.now, c));
  return lines.slice(0, height);
}

/** Columns the title keeps however many badges follow it. */
const TITLE_KEPT = 16;

/** The title, then its badges: a title too long is cut first, as the badges say what to do (a plan pending) and it only where the rows come from. */
function titleLine(title: string, badges: string, width: number): string {
  const room = Math.max(TITLE_KEPT, width - 1 - [...badges].length);
  return fit(` ${[...title].length > room ? fit(title, room) : title}${badges}`, width);
}

/** What the title adds: the filter, the commit toggle, changes a plan would make. */
function badges(view: View): string {
  const parts = [view.filter ? `filter: ${view.filter}` : '', view.commit ? 'commit: on' : '', view.pending ? `stack.yaml differs for ${view.pending} ${view.pending === 1 ? 'service' : 'services'} (p: plan)` : ''];
  return parts.filter(Boolean).map((part) => ` · ${part}`).join('');
}

/** The help, a run's output, or the selected log: a rule with its title, then `height - 1` lines. */
function bottomPane(input: FrameInput, height: number, c: Colors): string[] {
  const { view, width } = input;
  if (height <= 0) return [];
  const body = height - 1;
  if (view.help) return [c.bold(fit('── keys ', width, '─')), ...pad(KEYS.map(([keys, what]) => fit(`  ${keys.padEnd(16)}${what}`, width)), body, width)];
  if (view.pane) return [c.bold(fit(`── ${view.pane.title} (Esc closes) `, width, '─')), ...pad(view.pane.lines.slice(-body).map((line) => fit(line, width)), body, width)];
  const name = view.selected;
  const search = view.search ? `search: ${view.search} (n N) ` : '';
  const scrolled = view.scroll > 0 ? `${view.scroll} lines up (G: end) ` : '';
  const title = c.bold(fit(`── ${name ? `log: ${name} ` : ''}${search ? `── ${search}` : ''}${scrolled ? `── ${scrolled}` : ''}`, width, '─'));
  const end = input.log.length - view.scroll;
  const shown = input.log.slice(Math.max(0, end - body), end).map((entry) => logLine(entry, view.search, width, c));
  return [title, ...pad(shown.length > 0 ? shown : [c.dim(fit('  (no log lines)', width))], body, width)];
}

function logLine(entry: LogEntry, search: string, width: number, c: Colors): string {
  if (entry.marker) return c.yellow(fit(entry.text, width));
  const text = entry.text;
  // A line the search finds is marked in the gutter, which a terminal without colour shows too.
  const found = search !== '' && text.toLowerCase().includes(search.toLowerCase());
  return found ? c.inverse(fit(`» ${text}`, width)) : fit(text, width);
}

/** The last line: a question waiting for y, what is being typed, the last run's result, or the keys. */
function statusLine(view: View, width: number, now: number, c: Colors): string {
  if (view.confirm) return c.bold(c.yellow(fit(` ${view.confirm.prompt}`, width)));
  if (view.typing) return c.bold(fit(` ${view.typing.into === 'filter' ? 'filter' : 'search'}: ${view.typing.text}▏  (Enter keeps, Esc cancels)`, width));
  const message = view.message;
  if (message && (message.tone === 'error' || message.at === undefined || now - message.at < MESSAGE_MS)) {
    const paint = { info: c.cyan, ok: c.green, error: c.red }[message.tone];
    return paint(fit(` ${message.text}`, width));
  }
  const keys = view.fullLog ? ' ↑↓ scroll  / search  n N next  Enter back  ? help  q quit' : ' ↑↓ move  Enter log  s start  x stop  r restart  p plan  a apply  / filter  ? all keys  q quit';
  return c.dim(fit(keys, width));
}

function pad(lines: string[], height: number, width: number): string[] {
  const kept = lines.slice(0, Math.max(0, height));
  while (kept.length < height) kept.push(' '.repeat(width));
  return kept;
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}
