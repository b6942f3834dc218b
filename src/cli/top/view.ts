import type { TopRow } from './table.js';
import { movesWith, type Verb } from './moves.js';

// What `stack top` shows and what a key does to it, as data: a key press gives the next view
// and, where something must happen outside (a verb, a plan, a quit), an effect for top.ts.

export type Effect =
  | { type: 'quit' }
  /** The selection moved to another service: its log is followed instead. */
  | { type: 'follow' }
  | { type: 'verb'; verb: Verb; service: string; commit: boolean }
  /** Runs `stack plan`; with `thenApply`, asks whether to apply exactly that plan. */
  | { type: 'plan'; thenApply: boolean }
  | { type: 'apply' };

export interface View {
  rows: readonly TopRow[];
  /** What each service depends on, from stack.yaml: a confirmation names what moves with a verb. */
  dependsOn: ReadonlyMap<string, readonly string[]>;
  /** The selected service's name (kept across refreshes and filters). */
  selected?: string;
  filter: string;
  /** The log of the selected service over the whole screen. */
  fullLog: boolean;
  /** Lines scrolled up from the log's end; 0 follows it. */
  scroll: number;
  /** Highlighted in the log; `n`/`N` move between its lines. */
  search: string;
  /** Text being typed into the filter or the search, until Enter or Esc. */
  typing?: { into: 'filter' | 'search'; text: string; before: string };
  confirm?: { prompt: string; effect: Effect };
  /** Output of a plan or a run, shown instead of the log until Esc. */
  pane?: { title: string; lines: readonly string[] };
  help: boolean;
  /** Whether verbs commit stack.yaml (`--commit`). */
  commit: boolean;
  /** A run (verb, plan, apply) is under way: another waits until it ends. */
  busy: boolean;
  /** The last word to the user; `at` (ms) once shown: info and ok fade after MESSAGE_MS, an error stays until Esc. */
  message?: { text: string; tone: 'info' | 'ok' | 'error'; at?: number };
  /** Services a plan would move now (undefined: not known). */
  pending?: number;
}

/** How long an info or ok message stays on the last line. */
export const MESSAGE_MS = 8000;

export const VERB_KEYS: Readonly<Record<string, Verb>> = { s: 'start', x: 'stop', r: 'restart', e: 'enable', d: 'disable' };

/** Every key, as the help lists it (README's table is the same). */
export const KEYS: readonly (readonly [string, string])[] = [
  ['↑ ↓  j k', 'move (in the full log: scroll)'],
  ['PgUp PgDn  g G', 'a page up or down, to the top or the end'],
  ['Enter  l', 'the selected log over the whole screen, and back'],
  ['s x r', 'start, stop, restart the selected service'],
  ['e d', 'enable, disable it (stack.yaml is edited)'],
  ['c', 'commit stack.yaml after each verb: on or off'],
  ['p', 'plan: what apply would do now'],
  ['a', 'apply: the plan shown, after y'],
  ['/', 'filter services by name (in the full log: search)'],
  ['n N', 'next, previous line the search finds'],
  ['Esc', 'close what is open, clear the filter'],
  ['?', 'this help'],
  ['q  Ctrl+C', 'quit'],
];

export function initialView(rows: readonly TopRow[]): View {
  return { rows, dependsOn: new Map(), selected: rows[0]?.name, filter: '', fullLog: false, scroll: 0, search: '', help: false, commit: false, busy: false };
}

/** The rows the filter keeps, in order. */
export function visibleRows(view: Pick<View, 'rows' | 'filter'>): readonly TopRow[] {
  const filter = view.filter.toLowerCase();
  return filter ? view.rows.filter((row) => row.name.toLowerCase().includes(filter)) : view.rows;
}

/** The selected row's index among the visible rows (0 when it is not among them). */
export function selectedIndex(view: View): number {
  return Math.max(0, visibleRows(view).findIndex((row) => row.name === view.selected));
}

/** New rows: the selection stays on its service, or the nearest row when it went away. */
export function withRows(view: View, rows: readonly TopRow[]): { view: View; effect?: Effect } {
  const index = selectedIndex(view);
  const next = { ...view, rows };
  const visible = visibleRows(next);
  if (visible.some((row) => row.name === view.selected)) return { view: next };
  const selected = visible[Math.min(index, visible.length - 1)]?.name;
  return { view: { ...next, selected }, effect: selected === view.selected ? undefined : { type: 'follow' } };
}

interface Keyed {
  view: View;
  effect?: Effect;
}

/** One key press. `page`: the lines a page key moves; `logLines`: the selected log, for the search. */
export function press(view: View, key: string, context: { page: number; logLines: readonly string[] }): Keyed {
  if (key === '\u0003') return { view, effect: { type: 'quit' } };
  if (view.typing) return typed(view, key);
  if (view.confirm) return key === 'y' || key === 'Y' ? { view: { ...view, confirm: undefined }, effect: view.confirm.effect } : { view: { ...view, confirm: undefined, message: { text: 'cancelled', tone: 'info' } } };
  if (key === 'q') return { view, effect: { type: 'quit' } };
  if (key === '?') return { view: { ...view, help: !view.help } };
  if (key === ESC) return { view: closeOne(view) };
  if (view.fullLog) return inLog(view, key, context);
  return inTable(view, key, context.page);
}

const ESC = '\u001b';
const UP = ['k', '\u001b[A', '\u001bOA'];
const DOWN = ['j', '\u001b[B', '\u001bOB'];
const PAGE_UP = '\u001b[5~';
const PAGE_DOWN = '\u001b[6~';
const HOME = ['g', '\u001b[H', '\u001b[1~', '\u001bOH'];
const END = ['G', '\u001b[F', '\u001b[4~', '\u001bOF'];
const ENTER = ['\r', '\n', 'l'];

function inTable(view: View, key: string, page: number): Keyed {
  const visible = visibleRows(view);
  const at = selectedIndex(view);
  const to = UP.includes(key) ? at - 1 : DOWN.includes(key) ? at + 1 : key === PAGE_UP ? at - page : key === PAGE_DOWN ? at + page : HOME.includes(key) ? 0 : END.includes(key) ? visible.length - 1 : undefined;
  if (to !== undefined) return select(view, visible[Math.max(0, Math.min(visible.length - 1, to))]?.name);
  if (ENTER.includes(key)) return view.selected ? { view: { ...view, fullLog: true, scroll: 0, help: false } } : { view };
  if (key === '/') return { view: { ...view, typing: { into: 'filter', text: view.filter, before: view.filter } } };
  return acting(view, key);
}

/** The keys that act, the same in the table and in the full log. */
function acting(view: View, key: string): Keyed {
  if (key === 'c') return { view: { ...view, commit: !view.commit, message: { text: `commit after each verb: ${view.commit ? 'off' : 'on'}`, tone: 'info' } } };
  const verb = VERB_KEYS[key];
  if (verb) return askVerb(view, verb);
  if (key === 'p' || key === 'a') return view.busy ? refuse(view) : { view: { ...view, busy: true, help: false, message: { text: 'planning…', tone: 'info' } }, effect: { type: 'plan', thenApply: key === 'a' } };
  return { view };
}

function inLog(view: View, key: string, context: { page: number; logLines: readonly string[] }): Keyed {
  const last = Math.max(0, context.logLines.length - context.page);
  const scrollTo = (scroll: number) => ({ view: { ...view, scroll: Math.max(0, Math.min(last, scroll)) } });
  if (UP.includes(key)) return scrollTo(view.scroll + 1);
  if (DOWN.includes(key)) return scrollTo(view.scroll - 1);
  if (key === PAGE_UP) return scrollTo(view.scroll + context.page);
  if (key === PAGE_DOWN) return scrollTo(view.scroll - context.page);
  if (HOME.includes(key)) return scrollTo(last);
  if (END.includes(key)) return scrollTo(0);
  if (ENTER.includes(key)) return { view: { ...view, fullLog: false, scroll: 0 } };
  if (key === '/') return { view: { ...view, typing: { into: 'search', text: view.search, before: view.search } } };
  if (key === 'n' || key === 'N') return findNext(view, context, key === 'n' ? 'older' : 'newer');
  return acting(view, key);
}

/**
 * The next line the search finds, older (`n`: searching up from what is shown, as a log is read
 * from its end) or newer; the view scrolls to show it at the bottom.
 */
function findNext(view: View, context: { page: number; logLines: readonly string[] }, direction: 'older' | 'newer'): Keyed {
  if (!view.search) return { view: { ...view, message: { text: 'no search: / to search', tone: 'info' } } };
  const lines = context.logLines;
  const bottom = lines.length - 1 - view.scroll;
  const needle = view.search.toLowerCase();
  const step = direction === 'older' ? -1 : 1;
  for (let index = bottom + step; index >= 0 && index < lines.length; index += step) {
    if (lines[index]?.toLowerCase().includes(needle)) return { view: { ...view, scroll: lines.length - 1 - index, message: undefined } };
  }
  return { view: { ...view, message: { text: `"${view.search}": no ${direction} line`, tone: 'info' } } };
}

function typed(view: View, key: string): Keyed {
  const typing = view.typing as NonNullable<View['typing']>;
  const set = (text: string): View => ({ ...view, typing: { ...typing, text }, ...(typing.into === 'filter' ? { filter: text } : {}) });
  if (key === ESC) return keepSelection({ ...view, typing: undefined, ...(typing.into === 'filter' ? { filter: typing.before } : {}) });
  if (key === '\r' || key === '\n') {
    if (typing.into === 'filter') return keepSelection({ ...view, typing: undefined, filter: typing.text });
    const searched = { ...view, typing: undefined, search: typing.text };
    // A new search starts from the newest line shown.
    return typing.text ? { view: { ...searched, scroll: Math.max(0, view.scroll - 1) }, effect: undefined } : { view: searched };
  }
  if (key === '\u007f' || key === '\b') return keepSelection(set([...typing.text].slice(0, -1).join('')));
  // Printable text only: an arrow key's sequence is not typed into a name.
  if (isPrintable(key)) return keepSelection(set(typing.text + key));
  return { view };
}

/** After the filter changed: the selection stays on its service when shown, or moves to the first row shown. */
function keepSelection(view: View): Keyed {
  const visible = visibleRows(view);
  if (visible.some((row) => row.name === view.selected) || visible.length === 0) return { view };
  return select(view, visible[0]?.name);
}

function select(view: View, name: string | undefined): Keyed {
  if (name === undefined || name === view.selected) return { view };
  return { view: { ...view, selected: name, scroll: 0 }, effect: { type: 'follow' } };
}

/** A verb on the selected service waits for `y`, naming what moves with it. */
function askVerb(view: View, verb: Verb): Keyed {
  if (view.busy) return refuse(view);
  const service = view.selected;
  if (!service) return { view: { ...view, message: { text: 'no service selected', tone: 'info' } } };
  const moves = movesWith(verb, service, view.rows, view.dependsOn);
  const also = moves.length > 0 ? `; also ${moves.verb}: ${moves.names.join(', ')}` : '';
  const commit = verb === 'restart' ? '' : view.commit ? ' (stack.yaml edited and committed)' : ' (stack.yaml edited)';
  return { view: { ...view, help: false, confirm: { prompt: `${verb} ${service}${also}${commit}? y/N`, effect: { type: 'verb', verb, service, commit: view.commit && verb !== 'restart' } } } };
}

function refuse(view: View): Keyed {
  return { view: { ...view, message: { text: 'a run is under way: wait until it ends', tone: 'info' } } };
}

/** Esc closes the innermost thing open: help, a pane, the full log's search, the full log, the filter, a message. */
function closeOne(view: View): View {
  if (view.help) return { ...view, help: false };
  if (view.pane && !view.busy) return { ...view, pane: undefined };
  if (view.fullLog && view.search) return { ...view, search: '' };
  if (view.fullLog) return { ...view, fullLog: false, scroll: 0 };
  if (view.filter) return { ...view, filter: '' };
  return { ...view, message: undefined };
}

/** Text a person typed: no control character, no escape sequence (an arrow key is not typed into a name). */
function isPrintable(key: string): boolean {
  return [...key].every((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code >= 0x20 && code !== 0x7f;
  });
}
