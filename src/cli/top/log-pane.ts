import type { EventBody } from '../../api/protocol.js';
import { describeEvent } from '../event-line.js';
import { formatObserved } from '../status-view.js';
import type { LogEntry } from './frame.js';
import { printable, type TopRow } from './table.js';
import pc from 'picocolors';

/** Lines kept of the selected service's log (the full-screen view scrolls through them). */
const KEPT = 2000;
/** Characters kept of one line. */
const LINE_CHARS = 2000;

/** The selected service's log as `stack top` shows it: its lines, and markers of what happened to it between them. */
export class LogPane {
  private lines: LogEntry[] = [];

  get entries(): readonly LogEntry[] {
    return this.lines;
  }

  get texts(): readonly string[] {
    return this.lines.map((entry) => entry.text);
  }

  push(lines: readonly string[]): void {
    // A line of a megabyte is kept as far as any screen could show it: measuring and searching stay cheap.
    // Kept as shown (escape sequences out): the search finds what the screen shows.
    this.add(lines.slice(-KEPT).map((text) => ({ text: printable(text.length > LINE_CHARS ? `${text.slice(0, LINE_CHARS)}…` : text) })));
  }

  mark(text: string, at = new Date()): void {
    this.add([{ text: `── ${at.toTimeString().slice(0, 8)} ${text} ──`, marker: true }]);
  }

  clear(): void {
    this.lines = [];
  }

  private add(entries: readonly LogEntry[]): void {
    this.lines.push(...entries);
    if (this.lines.length > KEPT) this.lines.splice(0, this.lines.length - KEPT);
  }
}

const plain = pc.createColors(false);
const MARKED = new Set(['exited', 'restarting', 'running', 'gave-up', 'leftovers']);

/** A controller's event about `service` that its log marks (an exit, a restart, a give-up), in the words of `stack events`. */
export function markerOfEvent(event: EventBody, service: string | undefined): string | undefined {
  if (!MARKED.has(event.type) || !('service' in event) || event.service !== service) return undefined;
  return describeEvent(event, plain)?.replace(/^[!\u21bb\u2713\u2717] /u, '');
}

/**
 * Without a controller there are no events: what the rows show changed between two looks is
 * marked instead (a new run, a run that ended).
 */
export function markerOfChange(before: TopRow | undefined, after: TopRow | undefined): string | undefined {
  if (!before || !after) return undefined;
  const wasUp = before.pid !== null;
  if (after.pid !== null && wasUp && after.pid !== before.pid) return `${after.name} restarted (pid ${after.pid}${after.restarts > before.restarts ? `, restart ${after.restarts}` : ''})`;
  if (after.pid !== null && !wasUp) return `${after.name} ${after.restarts > before.restarts ? 'restarted' : 'started'} (pid ${after.pid})`;
  if (after.pid === null && wasUp) return `${after.name} ${formatObserved(after)}`;
  return undefined;
}
