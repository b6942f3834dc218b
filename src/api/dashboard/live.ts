import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { apiSocketOf, eventsFileOf, readApplied, readEventJournal } from '../../api.js';
import type { ApiClient } from '../connect.js';
import { followController, followLogLinesHere, fromController, LATEST_BYTES, poll, problemOf, type LogReading, type Snapshot } from '../live-sources.js';
import type { LogLine } from '../../model/log-line.js';
import { ObservedHere } from '../observed-here.js';
import { SecretsSeen } from '../secrets-seen.js';
import type { EventBody } from '../protocol.js';
import type { DashStatus, ServiceHistory } from './protocol.js';

/** A controller's event stream that ends sooner than this after it began... */
const STREAM_MIN_MS = 3000;
/** ...is not followed again before this much later (as `stack top`). */
const STREAM_RETRY_MS = 10_000;

export type Listener = (event: 'status' | 'event' | 'problem', data: object) => void;

/**
 * What the dashboard shows, live: the running controller's status, asked again on its events,
 * or without one what is observed here once a second (as `stack top`: api/live-sources.ts), and
 * the controller's events as they come. Read-only: verbs and apply are runs (runs.ts).
 */
export class Live {
  private readonly here: ObservedHere;
  private readonly stopped = new AbortController();
  private readonly listeners = new Set<Listener>();
  private api?: ApiClient;
  private pid?: number;
  private latest?: DashStatus;
  private notBefore = 0;
  private looping?: Promise<void>;

  constructor(readonly file: string) {
    this.here = new ObservedHere({ file });
  }

  /** The first status (a stack.yaml that does not load, without a controller, throws: exit 5), then follows. */
  async start(): Promise<void> {
    this.api = await answering(this.file);
    await this.here.workspaceNow().catch(() => undefined);
    if (this.api) {
      const body = await this.api.status();
      this.pid = body.controller.pid;
      this.update(await fromController(this.api, { file: this.file }, true, body));
    } else {
      this.update(await this.here.look());
    }
    this.looping = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.looping;
  }

  get status(): DashStatus {
    return this.latest as DashStatus;
  }

  get controllerPid(): number | undefined {
    return this.api ? this.pid : undefined;
  }

  /** Every secret stack.yaml declared since the dashboard began, hidden in `text` (api/secrets-seen.ts). */
  redact = (text: string): string => this.secrets.redact(text, this.here.current?.desired);

  private readonly secrets = new SecretsSeen();

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * A service's exits, restarts and probe results as the controller kept them (the running one's,
   * or without one what the last one wrote to `.stack/events.log`), and what the state file records of it.
   */
  async historyOf(name: string): Promise<ServiceHistory> {
    const history: ServiceHistory = { formatVersion: 1, service: name, exits: [], restarts: [], probes: [], recorded: null };
    for (const event of await this.keptEvents(name)) {
      if (event.type === 'exited') history.exits.push({ at: event.at, code: event.code, signal: event.signal, ...(event.reason === undefined ? {} : { reason: event.reason }) });
      else if (event.type === 'restarting') history.restarts.push({ at: event.at, attempt: event.attempt, maxRestarts: event.maxRestarts });
      else if (event.type === 'probe') history.probes.push({ at: event.at, kind: event.kind, ok: event.ok, ...(event.reason === undefined ? {} : { reason: event.reason }) });
    }
    const workspace = await this.here.workspaceNow();
    const record = (await readApplied(workspace)).get(name);
    if (record) history.recorded = { restarts: record.restarts, lastExit: record.lastExit, probe: record.probe, gaveUp: record.gaveUp ?? false, startedAt: record.startedAt };
    return history;
  }

  private async keptEvents(name: string): Promise<EventBody[]> {
    if (this.api) {
      const events: EventBody[] = [];
      for await (const event of this.api.events({ services: [name], follow: false })) {
        // A controller older than `follow=0` follows instead: what it kept is all before `following`.
        if (event.type === 'following') break;
        events.push(event);
      }
      return events;
    }
    return (await readEventJournal(eventsFileOf(this.file), { services: [name] })).map((event) => ({ formatVersion: 1, ...event }) as EventBody);
  }

  /**
   * A service's last `lines` lines (read `since`, when given), then (`follow`) new ones as they
   * come, until `signal` aborts. `onCaughtUp` once the last lines were sent: said by a
   * controller; without one, only when not following. `onLines` is handed what was read together
   * (a tail read here at once: the page's buffer forgives it, reply.ts).
   */
  async logs(name: string, reading: Required<Pick<LogReading, 'lines' | 'follow'>> & LogReading, signal: AbortSignal, onLines: (lines: readonly LogLine[]) => void, onCaughtUp: () => void): Promise<void> {
    const { lines, follow, since } = reading;
    if (this.api) {
      for await (const line of this.api.logs({ services: [name], lines, follow, latest: LATEST_BYTES, since, signal })) {
        if (line.type === 'line') onLines([{ text: line.text, stream: line.stream ?? 'stdout', ...(line.at === undefined ? {} : { at: line.at }) }]);
        else if (line.type === 'caught-up') onCaughtUp();
      }
      return;
    }
    const workspace = await this.here.workspaceNow();
    await followLogLinesHere(workspace, name, signal, onLines, () => (this.here.current ?? workspace).ctx.redact, reading);
    if (!follow) onCaughtUp();
  }

  /** Looks now, without waiting for the next second (after a run, without a controller). */
  lookNow(): void {
    if (!this.api) void this.here.look().then((snapshot) => this.update(snapshot), (error: unknown) => this.trouble(problemOf(error)));
  }

  private async loop(): Promise<void> {
    const signal = this.stopped.signal;
    const file = { file: this.file };
    while (!signal.aborted) {
      if (this.api) {
        const began = Date.now();
        await followController(this.api, file, signal, (snapshot) => this.update(snapshot), (event) => this.hear(event));
        if (signal.aborted) return;
        this.notBefore = Date.now() - began < STREAM_MIN_MS ? Date.now() + STREAM_RETRY_MS : 0;
        this.api = undefined;
        this.lookNow();
        continue;
      }
      this.api = await poll(() => this.here.look(), this.file, signal, (snapshot) => this.update(snapshot), (message) => this.trouble(message), this.notBefore);
      if (this.api) await fromController(this.api, file, true).then((snapshot) => this.update(snapshot), () => undefined);
    }
  }

  private update(snapshot: Snapshot): void {
    // Over a controller nothing here loads stack.yaml: its secrets are read again when it changed.
    if (this.api) void this.here.workspaceNow().catch(() => undefined);
    const dependsOn = snapshot.dependsOn ? Object.fromEntries([...snapshot.dependsOn].map(([name, on]) => [name, [...on]])) : (this.latest?.dependsOn ?? {});
    const pending = snapshot.pending === undefined ? this.latest : snapshot;
    this.latest = {
      formatVersion: 1,
      project: snapshot.project,
      services: snapshot.rows,
      dependsOn,
      ...(pending?.pending === undefined ? {} : { pending: pending.pending, pendingServices: pending.pendingServices ?? [] }),
      source: snapshot.source === 'controller' ? 'controller' : 'observed',
      ...(snapshot.problem ? { problem: snapshot.problem } : {}),
    };
    this.emit('status', this.latest);
  }

  /** stack.yaml does not load (observed here): the last rows stay, with why they may be stale, until a look succeeds; said once. */
  private trouble(message: string): void {
    if (this.latest?.problem === message) return;
    this.latest = { ...this.status, problem: message };
    this.emit('status', this.latest);
    this.emit('problem', { formatVersion: 1, message });
  }

  private hear(event: EventBody): void {
    if (event.type === 'following') this.pid = event.pid;
    this.emit('event', event);
    if (event.type === 'invalid-file') this.emit('problem', { formatVersion: 1, message: `stack.yaml does not load (the controller keeps the last good file): ${firstProblem(event.message)}` });
  }

  private emit(event: 'status' | 'event' | 'problem', data: object): void {
    for (const listener of this.listeners) listener(event, data);
  }
}

/** `stack.yaml is not valid (2 problems)\nstack.yaml:8:1: …`: the first problem, with its place. */
function firstProblem(message: string): string {
  const [head = '', first] = message.split('\n');
  return first ? `${head}: ${first.trim()}` : head;
}

/** The running controller's client, when one answers. */
async function answering(file: string): Promise<ApiClient | undefined> {
  if (!existsSync(apiSocketOf(file))) return undefined;
  const { connect } = await import('../connect.js');
  const api = connect(dirname(file));
  return (await api.status().then(() => true, () => false)) ? api : undefined;
}
