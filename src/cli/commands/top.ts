import { ExitCode, StackError } from '../../model/errors.js';
import type { ApiClient } from '../../api/connect.js';
import { streams, useColor, type GlobalOptions } from '../context.js';
import { hangup } from '../hangup.js';
import { throughController } from '../through-controller.js';
import { renderFrame, type TopRow } from '../top/frame.js';
import { Screen } from '../top/screen.js';
import { observeHere } from './status.js';

interface TopOptions extends GlobalOptions {
  once?: boolean;
}

interface Snapshot {
  project: string;
  rows: TopRow[];
  /** Where the rows come from, for the title. */
  source: string;
}

/** Without a controller, the rows are observed again this often. */
const POLL_MS = 1000;
/** Events come in bursts (a pass moves many services): one status request per burst. */
const DEBOUNCE_MS = 50;
const LOG_LINES = 500;

/**
 * `stack top [--once]`: a full-screen view of the services, live. Over a running controller the
 * rows are its status, asked again on each of its events; without one, what stack observes here,
 * once a second.
 */
export async function run(options: TopOptions): Promise<number> {
  if (!options.once && !(process.stdout.isTTY && process.stdin.isTTY)) {
    throw new StackError(ExitCode.actionFailed, '`stack top` needs a terminal, and this is not one', { hint: '`stack top --once` prints one frame; `stack status` a table' });
  }
  const color = useColor(options);
  const controller = await throughController(options, async (api) => ({ api, body: await api.status() }), 'observing the services here instead');
  const first: Snapshot = controller && controller.body.stackFileError === undefined ? fromController(controller.body) : await daemonless(options);
  if (options.once) {
    const lines = renderFrame({ rows: first.rows, selected: 0, logLines: [], width: process.stdout.columns ?? 100, height: process.stdout.rows ?? Math.max(24, first.rows.length + 12), color, now: Date.now(), title: title(first) });
    streams.stdout.write(`${lines.map((line) => line.trimEnd()).join('\n')}\n`);
    return ExitCode.ok;
  }
  return interactive(options, color, first, controller?.api);
}

async function interactive(options: TopOptions, color: boolean, first: Snapshot, api: ApiClient | undefined): Promise<number> {
  const screen = new Screen(process.stdin, process.stdout);
  const stopped = new AbortController();
  let snapshot = first;
  let selected = 0;
  let help = false;
  let logLines: string[] = [];
  const draw = () => {
    const { columns, rows } = screen.size();
    screen.draw(renderFrame({ rows: snapshot.rows, selected, logLines, width: columns, height: rows, color, now: Date.now(), title: title(snapshot), help }));
  };
  const quit = () => stopped.abort();
  let following: AbortController | undefined;
  const followLogs = () => {
    following?.abort();
    following = new AbortController();
    logLines = [];
    const name = snapshot.rows[selected]?.name;
    if (api && name) void tailLogs(api, name, following.signal, (line) => {
      logLines.push(line);
      if (logLines.length > LOG_LINES) logLines.splice(0, logLines.length - LOG_LINES);
      draw();
    });
  };
  const move = (by: number) => {
    const next = Math.max(0, Math.min(snapshot.rows.length - 1, selected + by));
    if (next === selected) return;
    selected = next;
    followLogs();
    draw();
  };
  const update = (next: Snapshot) => {
    const name = snapshot.rows[selected]?.name;
    snapshot = next;
    const kept = next.rows.findIndex((row) => row.name === name);
    selected = kept >= 0 ? kept : Math.min(selected, Math.max(0, next.rows.length - 1));
    if (snapshot.rows[selected]?.name !== name) followLogs();
    draw();
  };
  const keys: Record<string, () => void> = { q: quit, '\u0003': quit, j: () => move(1), k: () => move(-1), '\u001b[B': () => move(1), '\u001b[A': () => move(-1), '?': () => ((help = !help), draw()) };
  process.once('SIGTERM', quit);
  process.once('SIGINT', quit);
  const unlisten = hangup.listen(quit);
  screen.open({ onKey: (key) => keys[key]?.(), onResize: draw });
  try {
    followLogs();
    draw();
    const ticking = setInterval(draw, 1000); // uptimes and health ages move on their own
    try {
      if (api) await followController(api, stopped.signal, update);
      if (!stopped.signal.aborted) await poll(options, stopped.signal, update);
    } finally {
      clearInterval(ticking);
    }
    return ExitCode.ok;
  } finally {
    following?.abort();
    screen.close();
    unlisten();
    process.off('SIGTERM', quit);
    process.off('SIGINT', quit);
  }
}

/** The controller's status, asked again after each burst of its events; returns when the controller ends or its stream breaks (or on quit). */
async function followController(api: ApiClient, signal: AbortSignal, update: (snapshot: Snapshot) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void api.status().then((body) => !signal.aborted && update(fromController(body)), () => undefined), DEBOUNCE_MS);
  };
  try {
    for await (const event of api.events({ signal })) {
      if (event.type !== 'following') refresh();
    }
  } catch {
    // The controller went away mid-stream (killed, restarted): the view goes on without it.
  } finally {
    clearTimeout(timer);
  }
}

/** What stack observes here, once a second, until quit. */
async function poll(options: TopOptions, signal: AbortSignal, update: (snapshot: Snapshot) => void): Promise<void> {
  while (!signal.aborted) {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, POLL_MS);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
    });
    if (!signal.aborted) update(await daemonless(options));
  }
}

async function tailLogs(api: ApiClient, name: string, signal: AbortSignal, onLine: (text: string) => void): Promise<void> {
  try {
    for await (const line of api.logs({ services: [name], lines: 100, follow: true, signal })) {
      if (line.type === 'line') onLine(line.text);
    }
  } catch {
    // Closed on moving to another service, or a log that cannot be read: the pane stays as it was.
  }
}

function fromController(body: Awaited<ReturnType<ApiClient['status']>>): Snapshot {
  return { project: body.project, rows: body.services, source: 'controller' };
}

async function daemonless(options: TopOptions): Promise<Snapshot> {
  const view = await observeHere(options, []);
  return { project: view.project, rows: view.rows, source: 'no controller: observed every second' };
}

function title(snapshot: Snapshot): string {
  return `stack top · ${snapshot.project} · ${snapshot.source}`;
}
