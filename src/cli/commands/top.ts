import { findStack } from '../../api.js';
import type { ApiClient } from '../../api/connect.js';
import type { EventBody } from '../../api/protocol.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { streams, useColor, type GlobalOptions } from '../context.js';
import { hangup } from '../hangup.js';
import { throughController } from '../through-controller.js';
import { renderFrame } from '../top/frame.js';
import { LogPane, markerOfChange, markerOfEvent } from '../top/log-pane.js';
import { Runs, summaryOf } from '../top/runs.js';
import { Screen } from '../top/screen.js';
import { ObservedHere } from '../../api/observed-here.js';
import { followController, followLogHere, fromController, LATEST_BYTES, poll, type Snapshot } from '../../api/live-sources.js';
import { initialView, press, withRows, type Effect, type View } from '../top/view.js';

interface TopOptions extends GlobalOptions {
  once?: boolean;
}

/** Lines of a run's output kept for its pane. */
const RUN_LINES = 500;
/** A frame at least this often: uptimes and ages move. */
const TICK_MS = 1000;
/** Output and events redraw at most this often (a key press redraws at once). */
const FRAME_MS = 30;
/** A controller's event stream that ends sooner than this after it began... */
const STREAM_MIN_MS = 3000;
/** ...is not followed again before this much later. */
const STREAM_RETRY_MS = 10_000;

/**
 * `stack top [--once]`: a full-screen view of the services, live. Over a running controller the
 * rows are its status, asked again on each of its events; without one, what stack observes here,
 * once a second. Keys act through the same commands a person would type (view.ts lists them).
 */
export async function run(options: TopOptions): Promise<number> {
  if (!options.once && !(process.stdout.isTTY && process.stdin.isTTY)) {
    throw new StackError(ExitCode.actionFailed, '`stack top` needs a terminal, and this is not one', { hint: '`stack top --once` prints one frame; `stack status` a table' });
  }
  const color = useColor(options);
  // Resolved once: a file briefly gone (a `git stash`) must not send a key's verb to a parent folder's stack.
  const file = findStack({ file: options.file });
  const fixed = { ...options, file };
  const api = await throughController(fixed, async (client) => ({ client, body: await client.status() }), 'observing the services here instead');
  const here = new ObservedHere(fixed);
  const first = api ? await fromController(api.client, fixed, true, api.body) : await here.look();
  if (options.once) {
    // Every row, whatever the terminal says of its size (a pipe has none, a fresh pty may say 0×0).
    const view = { ...initialView(first.rows), pending: first.pending };
    const lines = renderFrame({ view, log: [], width: process.stdout.columns || 100, height: first.rows.length + 3, color, now: Date.now(), title: title(first), tableOnly: true });
    streams.stdout.write(`${lines.map((line) => line.trimEnd()).join('\n')}\n`);
    return ExitCode.ok;
  }
  return new Top(fixed, color, first, api?.client, here).run();
}

class Top {
  private readonly screen = new Screen(process.stdin, process.stdout);
  private readonly stopped = new AbortController();
  private readonly log = new LogPane();
  private readonly runs: Runs;
  private view: View;
  private snapshot: Snapshot;
  private following?: AbortController;
  private pending?: NodeJS.Timeout;
  /** The controller whose events are followed, once its stream has begun. */
  private followedPid?: number;

  constructor(
    private readonly options: TopOptions & { file: string },
    private readonly color: boolean,
    first: Snapshot,
    private api: ApiClient | undefined,
    private readonly here: ObservedHere,
  ) {
    this.snapshot = first;
    this.runs = new Runs(options.file);
    this.view = { ...initialView(first.rows), dependsOn: first.dependsOn ?? new Map(), pending: first.pending };
  }

  async run(): Promise<number> {
    const quit = () => this.quit();
    // `on`, not `once`: a second SIGTERM during a run must not fall through to Node's default, which leaves the terminal raw.
    process.on('SIGTERM', quit);
    process.on('SIGINT', quit);
    const unlisten = hangup.listen(quit);
    this.screen.open({ onKey: (key) => this.guarded(() => this.key(key)), onResize: () => this.draw() });
    try {
      this.followLog();
      this.draw();
      // Uptimes and health ages move on their own: a second without a frame gets one.
      const ticking = setInterval(() => Date.now() - this.drawnAt >= TICK_MS - 100 && this.draw(), TICK_MS);
      try {
        while (!this.stopped.signal.aborted) await this.follow();
      } finally {
        clearInterval(ticking);
      }
      return ExitCode.ok;
    } finally {
      this.following?.abort();
      clearTimeout(this.pending);
      this.screen.close();
      unlisten();
      process.off('SIGTERM', quit);
      process.off('SIGINT', quit);
      this.runs.dispose();
    }
  }

  /**
   * Draws soon, at most once per FRAME_MS: a service printing thousands of lines a second, or a
   * burst of events, costs a few frames, not one per line.
   */
  private drawSoon(): void {
    this.pending ??= setTimeout(() => this.draw(), FRAME_MS);
  }

  /** The controller while it answers; then, observed here, until one answers again. */
  private async follow(): Promise<void> {
    if (this.api) {
      const began = Date.now();
      await followController(this.api, this.options, this.stopped.signal, (next) => this.update(next), (event) => this.heard(event));
      if (this.stopped.signal.aborted) return;
      // A controller whose stream ends at once (an older stack's, or one winding down) is not asked again for a while: the view would flip each second.
      this.notBefore = Date.now() - began < STREAM_MIN_MS ? Date.now() + STREAM_RETRY_MS : 0;
      this.api = undefined;
      await this.here.look().then((next) => this.update(next), () => undefined);
      this.followLog();
      return;
    }
    this.api = await poll(() => this.here.look(), this.options.file, this.stopped.signal, (next) => this.update(next), (problem) => this.say(problem, 'error'), this.notBefore);
    if (!this.api) return;
    await fromController(this.api, this.options, true).then((next) => this.update(next), () => undefined);
    this.followLog();
  }

  private notBefore = 0;

  private drawnAt = 0;

  private draw(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    this.drawnAt = Date.now();
    const { columns, rows } = this.screen.size();
    this.screen.draw(renderFrame({ view: this.view, log: this.log.entries, width: columns, height: rows, color: this.color, now: Date.now(), title: title(this.snapshot, this.api ? this.followedPid : undefined) }));
  }

  /** What a key or a run does, its error said on screen: an exception must not leave the terminal raw and the view gone without a word. */
  private guarded(work: () => void | Promise<unknown>): void {
    const said = (error: unknown) => {
      this.view = { ...this.view, busy: this.runs.active };
      this.say(error instanceof Error ? error.message : String(error), 'error');
    };
    try {
      const result = work();
      if (result instanceof Promise) result.catch(said);
    } catch (error) {
      said(error);
    }
  }

  private key(key: string): void {
    const { rows } = this.screen.size();
    const next = press(this.view, key, { page: Math.max(1, rows - 4), logLines: this.log.texts });
    this.view = stamped(next.view);
    if (next.effect) this.act(next.effect);
    this.draw();
  }

  private act(effect: Effect): void {
    switch (effect.type) {
      case 'quit':
        return this.quit();
      case 'follow':
        return this.followLog();
      case 'verb':
        return this.guarded(() => this.runCommand([effect.verb, effect.service, ...(effect.commit ? ['--commit'] : [])], `stack ${effect.verb} ${effect.service}`));
      case 'plan':
        return this.guarded(() => this.plan(effect.thenApply));
      case 'apply':
        return this.guarded(() => this.runCommand(['apply', '--yes', this.runs.planFile()], 'stack apply'));
    }
  }

  /** Quit, a signal or a hang-up during a run interrupts it first (once), as they would the command, and top ends when it has. */
  private quit(): void {
    if (!this.runs.active) return this.stopped.abort();
    if (this.runs.interrupt()) {
      this.say('interrupting the run; top ends once it has', 'info');
      void this.runs.idle().then(() => this.stopped.abort());
    } else {
      this.say('still winding the run down; top ends once it has', 'info');
    }
  }

  private update(next: Snapshot): void {
    const before = new Map(this.snapshot.rows.map((row) => [row.name, row]));
    this.snapshot = next;
    // Without a controller's events, what changed between two looks marks the log.
    if (!this.api) {
      const selected = next.rows.find((row) => row.name === this.view.selected);
      const marker = markerOfChange(before.get(this.view.selected ?? ''), selected);
      if (marker) this.log.mark(marker);
    }
    const moved = withRows({ ...this.view, dependsOn: next.dependsOn ?? this.view.dependsOn, pending: next.pending ?? this.view.pending }, next.rows);
    this.view = moved.view;
    if (next.problem) this.say(next.problem, 'error');
    else if (this.view.message?.tone === 'error' && this.view.message.text.startsWith('stack.yaml')) this.view = { ...this.view, message: undefined };
    if (moved.effect) this.act(moved.effect);
    // A log not followed for want of a workspace (the first look failed) is followed once one loads.
    else if (!this.api && this.unfollowed && this.here.current) this.followLog();
    this.drawSoon();
  }

  private heard(event: EventBody): void {
    if (event.type === 'following') this.followedPid = event.pid;
    const marker = markerOfEvent(event, this.view.selected);
    if (marker) {
      this.log.mark(marker, new Date(event.at));
      this.drawSoon();
    }
    if (event.type === 'invalid-file') this.say(`stack.yaml does not load (the controller keeps the last good file): ${event.message.split('\n')[0]}`, 'error');
    if (event.type === 'file-changed' && this.view.message?.text.startsWith('stack.yaml does not load')) this.view = { ...this.view, message: undefined };
  }

  private unfollowed = false;

  /** The selected service's log: its last lines, then new ones, from the controller or read here. */
  private followLog(): void {
    this.following?.abort();
    const following = new AbortController();
    this.following = following;
    this.log.clear();
    this.view = { ...this.view, scroll: 0 };
    const name = this.view.selected;
    const workspace = this.here.current;
    this.unfollowed = !this.api && !workspace;
    if (!name || this.unfollowed) return;
    const onLines = (lines: readonly string[]) => {
      if (following.signal.aborted) return;
      this.log.push(lines);
      // Scrolled up (reading, or on a search's line): the view stays on the same lines as new ones come.
      if (this.view.scroll > 0) this.view = { ...this.view, scroll: this.view.scroll + lines.length };
      this.drawSoon();
    };
    const reading = this.api
      ? tailThrough(this.api, name, following.signal, onLines)
      : followLogHere(workspace as NonNullable<typeof workspace>, name, following.signal, onLines, () => (this.here.current ?? (workspace as NonNullable<typeof workspace>)).ctx.redact);
    // A log that cannot be read leaves the pane as it is; the reason is said once.
    reading.catch((error: unknown) => !following.signal.aborted && this.say(`log of ${name}: ${error instanceof Error ? error.message : String(error)}`, 'error'));
  }

  /** `stack plan`, saved: what `a` applies is exactly what was shown, or nothing (stale). */
  private async plan(thenApply: boolean): Promise<void> {
    const code = await this.runCommand(['plan', '--detailed-exitcode', '-o', this.runs.planFile()], 'stack plan', { keepPane: true, succeeded: [0, 2] });
    if (code === 2 && thenApply && !this.stopped.signal.aborted) {
      this.view = { ...this.view, confirm: { prompt: 'apply this plan (shown above)? y/N', effect: { type: 'apply' } } };
    } else if (code === 2) {
      this.say('changes pending: a applies this plan', 'info');
    } else if (code === 0) {
      this.say('no changes: what runs is what stack.yaml says', 'ok');
    }
    this.draw();
  }

  /**
   * Runs a stack command for a key, its output in a pane; the pane closes when it succeeds (its
   * last line stays as the message) unless `keepPane`, and stays open when it fails.
   */
  private async runCommand(args: string[], label: string, options: { keepPane?: boolean; succeeded?: readonly number[] } = {}): Promise<number> {
    const lines: string[] = [];
    this.view = { ...this.view, busy: true, help: false, pane: { title: label, lines }, message: { text: `${label}…`, tone: 'info' } };
    this.draw();
    const code = await this.runs
      .run(args, (line) => {
        // Said for people at a prompt: here `a` applies the saved plan.
        if (line.startsWith('Saved the plan to ')) return;
        lines.push(line);
        if (lines.length > RUN_LINES) lines.splice(0, lines.length - RUN_LINES);
        this.view = { ...this.view, pane: { title: label, lines: [...lines] } };
        this.drawSoon();
      })
      .finally(() => (this.view = { ...this.view, busy: false }));
    // `plan --detailed-exitcode` says "changes pending" with 2: not a failure.
    const failed = !(options.succeeded ?? [0]).includes(code);
    const keep = options.keepPane || failed;
    this.view = { ...this.view, ...(keep ? {} : { pane: undefined }), message: { text: summaryOf(label, code, lines, failed), tone: failed ? 'error' : 'ok', at: Date.now() } };
    // Without a controller, nothing else says what the command changed: look now.
    if (!this.api) void this.here.look().then((next) => this.update(next), () => undefined);
    this.draw();
    return code;
  }

  private say(text: string, tone: 'info' | 'ok' | 'error'): void {
    this.view = { ...this.view, message: { text, tone, at: Date.now() } };
    this.draw();
  }
}

async function tailThrough(api: ApiClient, name: string, signal: AbortSignal, onLines: (lines: readonly string[]) => void): Promise<void> {
  try {
    for await (const line of api.logs({ services: [name], lines: 100, follow: true, latest: LATEST_BYTES, signal })) {
      if (line.type === 'line') onLines([line.text]);
    }
  } catch (error) {
    // Closed on moving to another service, or the controller went away.
    if (!signal.aborted) throw error;
  }
}

/** A message a key left is shown from now on (it fades after MESSAGE_MS). */
function stamped(view: View): View {
  return view.message && view.message.at === undefined ? { ...view, message: { ...view.message, at: Date.now() } } : view;
}

/** The project and where the rows come from; a controller's pid once its events are followed (the view is live from then on). */
function title(snapshot: Snapshot, followedPid?: number): string {
  return `stack top · ${snapshot.project} · ${snapshot.source}${followedPid === undefined ? '' : ` (pid ${followedPid})`}`;
}
