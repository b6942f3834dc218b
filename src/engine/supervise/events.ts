import type { PoolEvent } from './service-pool.js';
import type { ScheduleNews } from './schedules.js';
import type { DevNews } from './dev-loop.js';

/**
 * What happens in a controller, as it happens (`stack events`, `GET /v1/events`): its machines'
 * events, and the controller's own. The API's `StackEvent` (api/protocol.ts) is this union.
 */
export type ControllerEvent =
  | PoolEvent
  /** A service's observed phase (the `observed` of status) changed. */
  | { type: 'phase'; service: string; phase: string; previous: string }
  /** A ready or health probe's result changed. */
  | { type: 'probe'; service: string; kind: 'ready' | 'health'; ok: boolean; reason?: string }
  /** stack.yaml or a file it references changed (relative to the stack's folder). */
  | { type: 'file-changed'; paths: string[] }
  /** stack.yaml does not load: the last good file stays in force. */
  | { type: 'invalid-file'; message: string }
  | { type: 'plan'; reason: string; actions: string[]; blocked: string[] }
  | { type: 'reconciled'; reason: string; converged: boolean; failed: { service: string; error?: string }[] }
  /** An apply or verb asked through the API began, or ended with `exitCode`. */
  | { type: 'run'; by: string; exitCode?: number }
  /** A task's schedule came due (`run`, `replaced`, `queued`, `skipped`), or its run ended. */
  | ({ type: 'schedule' } & ScheduleNews)
  /** A watched service's sources changed, its build began or failed, it restarted, or its new start failed (issue 31). */
  | ({ type: 'dev' } & DevNews);

export type EventListener = (event: ControllerEvent, at: string) => void;

/** Tells every listener each event with the wall time it happened; a listener that throws is its own problem. */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly nowIso: () => string) {}

  /** Listens from now on; the function returned stops it. */
  listen(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit(event: ControllerEvent): void {
    if (this.listeners.size === 0) return;
    const at = this.nowIso();
    for (const listener of this.listeners) {
      try {
        listener(event, at);
      } catch {
        // One listener's failure (a closed socket) must not keep the event from the others.
      }
    }
  }
}
