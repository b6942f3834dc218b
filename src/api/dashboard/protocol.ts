/**
 * What `stack dashboard`'s server sends its page (docs/dashboard.md, "Routes"): types only, shared
 * by the server (api/dashboard/) and the front end. Version 1: fields may be added, none removed.
 */
import type { EventBody, PlanJson, StatusRow } from '../protocol.js';

export type { EventBody, PlanJson, StatusRow } from '../protocol.js';

/** `GET /api/v1/session`: the CSRF token every `POST` carries in `X-Stack-CSRF`. */
export interface SessionBody {
  formatVersion: 1;
  project: string;
  /** Absolute path of stack.yaml. */
  stackFile: string;
  csrf: string;
  /** The running controller the dashboard follows, or null (the services are observed here). */
  controller: { pid: number } | null;
}

/** `GET /api/v1/status`, and each `event: status` of `/api/v1/stream`. */
export interface DashStatus {
  formatVersion: 1;
  project: string;
  services: StatusRow[];
  /** What each service depends on (stack.yaml), by name. */
  dependsOn: Record<string, string[]>;
  /** How many services a plan would move now (when known). */
  pending?: number;
  source: 'controller' | 'observed';
  /** Why the rows may be stale: stack.yaml does not load (with its file:line:col). */
  problem?: string;
}

/** `event: problem` of `/api/v1/stream`. */
export interface ProblemEvent {
  formatVersion: 1;
  message: string;
}

/** `event: line` of `/api/v1/logs`. */
export interface LogLineEvent {
  formatVersion: 1;
  service: string;
  text: string;
}

/** `GET /api/v1/plan`: `stack plan --json`, its hash for `POST /api/v1/apply`, and each action's field diffs. */
export interface DashPlanBody extends PlanJson {
  planHash: string;
  /** Per service whose fields change: the lines `stack plan` shows under its first action (sensitive values never). */
  fieldDiffs: { service: string; op: string; lines: string[] }[];
}

/** `POST /api/v1/apply` (`{ planHash }`) and `POST /api/v1/services/:name/:verb` (`{ commit? }`). */
export interface RunResultBody {
  formatVersion: 1;
  /** What the command exits with. */
  exitCode: number;
  /** Its output, stdout and stderr as they came, redacted. */
  lines: string[];
}

/** `GET /api/v1/services/:name/history`. */
export interface ServiceHistory {
  formatVersion: 1;
  service: string;
  /** What the controller's events said of it (newest last); empty without a controller. */
  events: EventBody[];
  /** What the state file records now. */
  recorded: { restarts: number; lastExit?: unknown; probe?: unknown; gaveUp: boolean; startedAt?: string } | null;
}

/** `GET /api/v1/history?limit=N`: the commits that touched stack.yaml, newest first. */
export interface FileHistory {
  formatVersion: 1;
  file: string;
  commits: {
    commit: string;
    author: string;
    date: string;
    subject: string;
    /** `stack diff <commit>^ <commit> --json`'s body; null when a side does not load (`error` says why). */
    diff: unknown;
    error?: string;
  }[];
}

/** Every error: the HTTP status says what kind; `code` is the exit code the CLI would give. */
export interface DashErrorBody {
  formatVersion: 1;
  error: { message: string; code: number };
}
