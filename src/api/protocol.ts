/**
 * The controller's local API on the wire (docs/api.md): every body the server sends and every
 * body a client posts. Types only; `connect()` (api/connect.ts) and the server (api/server.ts)
 * both speak it. Version 1: fields may be added, none removed or changed.
 */
import type { PlanJson } from '../reconcile/render-json.js';
import type { SavedPlan } from '../reconcile/saved-plan.js';
import type { StatusRow } from '../reconcile/status-rows.js';
import type { ProgressEvent } from '../model/outcome.js';
import type { OutcomeJson } from '../reconcile/run-result.js';

export type { PlanJson } from '../reconcile/render-json.js';
export type { SavedPlan } from '../reconcile/saved-plan.js';
export type { StatusRow } from '../reconcile/status-rows.js';
export type { OutcomeJson } from '../reconcile/run-result.js';

/** Any status ≥ 400. `exitCode`: what the CLI exits with when it carried the call out. */
export interface ErrorBody {
  formatVersion: 1;
  error: { message: string; exitCode: number; hint?: string };
}

/** `GET /v1/status[?service=…]`: the `status --json` body, from what the controller knows. */
export interface StatusBody {
  formatVersion: 1;
  project: string;
  /** `can`: what this controller's API does beyond version 1's first form (additive; absent: nothing more). */
  controller: { pid: number; can?: ApiAbility[] };
  services: StatusRow[];
  /**
   * Why stack.yaml does not load now: the controller keeps the last good file in force, and the
   * CLI then reads the file itself (exit 5, as without a controller).
   */
  stackFileError?: string;
}

/**
 * `GET /v1/plan[?target=…]`: the `plan --json` body, plus `planHash` (give it to `POST /v1/apply`
 * to carry out exactly this plan) and `saved` (the plan as `plan -o` writes it).
 */
export interface PlanBody extends PlanJson {
  planHash: string;
  saved: SavedPlan;
}

/**
 * `POST /v1/apply`. Neither `planHash` nor `saved`: plan afresh and carry it out (`apply --yes`).
 * `planHash`: only if planning afresh gives that plan (409, exit 1, otherwise). `saved`: exactly
 * that saved plan, refused (409, exit 1) when stale, as `apply plan.json`.
 */
export interface ApplyRequest {
  planHash?: string;
  saved?: SavedPlan;
  targets?: string[];
  removeVolumes?: boolean;
}

/**
 * What a controller's API does beyond version 1's first form, said in `GET /v1/status`'s
 * `controller.can`; a client asks before it relies on one. `restart-all`: a restart request with
 * no services (an older controller refuses it: `services must name at least one service`).
 * `restart-rolling`: `rolling` (an older controller would read the request as a plain restart).
 */
export type ApiAbility = 'restart-all' | 'restart-rolling';

/** The verbs of `POST /v1/services/{verb}`. */
export type ServiceVerb = 'start' | 'stop' | 'enable' | 'disable' | 'restart';

/** `POST /v1/services/{verb}`: edits stack.yaml (not for `restart`), commits it with `commit`, applies those services. */
export interface VerbRequest {
  /** At least one, but for `restart`: none restarts every service that runs (`restart-all`). */
  services: string[];
  /** `restart` only (`restart-rolling`): one service at a time, dependencies first, each ready before the next stops. */
  rolling?: boolean;
  /** Commit the edit (`--commit`); `message` and `force` as the CLI's `--message`, `--force`. */
  commit?: boolean;
  message?: string;
  force?: boolean;
}

/**
 * One line of a run's NDJSON stream (`POST /v1/apply`, `POST /v1/services/{verb}`), in this
 * order: `edit` (verbs that edit, once), `plan` (once: what is carried out), `progress` (each
 * service as it begins and ends), `result` (last: the `apply --json` body and the exit code the
 * CLI exits with), or `error` instead of it (something failed after the stream began). A client
 * that goes away mid-run interrupts it, as Ctrl+C would. A `102 Processing` interim answer comes
 * at once, before the run waits for the controller's turn: a client waits only a few seconds for
 * it (a controller stopped by SIGSTOP never sends one). `edit.warnings`: the notes the verb tells
 * (`verbNotes`, config/verb-notes.ts), without `note: `.
 */
export type RunLine =
  | { formatVersion: 1; type: 'edit'; edited: string[]; already: string[]; commit?: string; warnings: string[] }
  | { formatVersion: 1; type: 'plan'; plan: PlanJson; saved: SavedPlan }
  | { formatVersion: 1; type: 'progress'; event: ProgressEvent }
  | { formatVersion: 1; type: 'result'; project: string; plan: PlanJson; outcome: OutcomeJson; exitCode: number }
  /** Last instead of `result` when the run failed after its stream began (stack.yaml broke between the edit and the plan). */
  | { formatVersion: 1; type: 'error'; error: ErrorBody['error'] };

/**
 * One line of `GET /v1/logs?service=…&lines=N&follow=1&since=&until=&grep=&stderr=1`. `stream`
 * and `at` (when the line was read, ISO 8601 with microseconds; absent when not known) are
 * additive: a client that reads only `text` reads what it did.
 */
export type LogLine =
  | { formatVersion: 1; type: 'line'; service: string; text: string; stream: 'stdout' | 'stderr' | 'stack'; at?: string }
  /** Every asked service's tail was sent; following lines are new. */
  | { formatVersion: 1; type: 'caught-up' }
  /** Without `follow`: the end, and the exit code `stack logs` exits with. */
  | { formatVersion: 1; type: 'end'; exitCode: number }
  /** Last when reading a log failed after the stream began. */
  | { formatVersion: 1; type: 'error'; error: ErrorBody['error'] };

/**
 * One line of `GET /v1/events`. The first is `following`: every event after it reaches the
 * client. A client ignores types it does not know (later versions add some).
 */
export type EventBody = { formatVersion: 1; at: string } & StackEvent;

export type StackEvent =
  | { type: 'following'; pid: number }
  /** A service's observed phase changed (the `observed` of status). */
  | { type: 'phase'; service: string; phase: string; previous: string }
  /** A ready or health probe's result changed (`ok`, or why not). */
  | { type: 'probe'; service: string; kind: 'ready' | 'health'; ok: boolean; reason?: string }
  /** `reason` (additive): a limit ended it, `killed by the OOM killer (memory limit 512 MB)` or `memory limit 512 MB exceeded (530 MB)`. */
  | { type: 'exited'; service: string; code: number | null; signal: string | null; reason?: string }
  | { type: 'restarting'; service: string; attempt: number; maxRestarts: number; delayMs?: number }
  | { type: 'gave-up'; service: string; restarts: number; maxRestarts: number; reason: string; starting: boolean }
  | { type: 'running'; service: string; again: boolean }
  | { type: 'leftovers'; service: string; error: string }
  /** stack.yaml or a file it references changed (names relative to the stack's folder). */
  | { type: 'file-changed'; paths: string[] }
  /** stack.yaml does not load: the last good file stays in force. */
  | { type: 'invalid-file'; message: string }
  /** A reconcile pass planned (`reason`: its cause); `actions` as `op service`. */
  | { type: 'plan'; reason: string; actions: string[]; blocked: string[] }
  /** A pass ended. */
  | { type: 'reconciled'; reason: string; converged: boolean; failed: { service: string; error?: string }[] }
  /** An apply or verb through the API began / ended (who asked: `by`, e.g. `stack apply`). */
  | { type: 'run'; by: string; exitCode?: number }
  /**
   * A task's schedule came due or its run ended: `run` (it began), `replaced` (it stopped the run
   * still going, `overlap: replace`), `queued` (it waits for that run's end), `skipped` (why in
   * `reason`), `ended` (`ok`, else why in `reason`). `schedule` as written.
   */
  | { type: 'schedule'; service: string; schedule: string; what: 'run' | 'replaced' | 'queued' | 'skipped' | 'ended'; ok?: boolean; reason?: string }
  /**
   * The development loop (`watch:`, issue 31): `changed` (`paths`, relative to the stack's
   * folder), `building`, `build-failed` (`reason`, `output`: its last lines; the running process
   * is kept), `restarted` (`with`: the services that restarted with it), `start-failed` (`reason`;
   * it waits for the next change).
   */
  | { type: 'dev'; service: string; what: 'changed' | 'building' | 'build-failed' | 'restarted' | 'start-failed'; paths?: string[]; reason?: string; output?: string[]; with?: string[] };
