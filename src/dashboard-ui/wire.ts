import type { PlanBody, StatusRow } from '../api/protocol.js';

// The dashboard's routes as the page reads them (docs/dashboard.md, "Routes"). Types only; the
// server (src/api/dashboard/) sends these bodies. Every body carries `formatVersion: 1`.

export type { EventBody, StatusRow } from '../api/protocol.js';

/** `GET /api/v1/session`: read first; `csrf` goes in `X-Stack-CSRF` on every POST. */
export interface SessionBody {
  formatVersion: 1;
  project: string;
  stackFile: string;
  csrf: string;
  controller: { pid: number } | null;
}

/** `GET /api/v1/status` and each `event: status` of `/api/v1/stream`. */
export interface DashStatus {
  formatVersion: 1;
  services: StatusRow[];
  /** Each service's direct dependencies, as stack.yaml declares them. */
  dependsOn: Record<string, string[]>;
  /** The services a plan would move now. */
  pending: string[];
  source: 'controller' | 'observed';
  /** stack.yaml does not load (with file:line:col). */
  problem?: string;
}

/** Each `event: problem` of `/api/v1/stream`: stack.yaml does not load now (file:line:col). */
export interface DashProblem {
  formatVersion: 1;
  message: string;
}

/** `GET /api/v1/services/:name/history`: restarts, exits and probe results over time, oldest first. */
export interface ServiceHistory {
  formatVersion: 1;
  service: string;
  exits: { at: string; code: number | null; signal: string | null }[];
  restarts: { at: string; attempt: number; maxRestarts: number }[];
  probes: { at: string; kind: 'ready' | 'health'; ok: boolean; reason?: string }[];
}

/** `GET /api/v1/plan`: the controller's `PlanBody`, with each changed service's field diffs as lines. */
export interface DashPlan extends PlanBody {
  fieldDiffs: Record<string, string[]>;
}

/** `GET /api/v1/history?limit=N`: commits that touched stack.yaml, newest first. */
export interface FileHistory {
  formatVersion: 1;
  commits: { commit: string; subject: string; author: string; at: string; diff: string[] }[];
}

/** What `POST /api/v1/apply` and `POST /api/v1/services/:name/:verb` answer: the command's output, redacted. */
export interface RunResultBody {
  formatVersion: 1;
  exitCode: number;
  lines: string[];
}

/** Any status ≥ 400. `code`: the exit code the CLI would give. */
export interface DashError {
  formatVersion: 1;
  error: { message: string; code: number };
}
