/**
 * What `stack dashboard`'s server sends its page (docs/dashboard.md, "Routes"): types only, shared
 * by the server (api/dashboard/) and the front end. Version 1: fields may be added, none removed.
 */
import type { PlanJson, StatusRow } from '../protocol.js';

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

/**
 * What a page (index.html) carries for its first render, in `<script type="application/json"
 * id="stack-boot">`: the session and the status as their routes would answer now.
 */
export interface DashBoot {
  formatVersion: 1;
  session: SessionBody;
  status: DashStatus;
}

/** `GET /api/v1/status`, and each `event: status` of `/api/v1/stream`. */
export interface DashStatus {
  formatVersion: 1;
  project: string;
  services: StatusRow[];
  /** What each service depends on (stack.yaml), by name. */
  dependsOn: Record<string, string[]>;
  /** How many services a plan would move now (when known), as `stack top` shows it... */
  pending?: number;
  /** ...and which: the page marks their rows and reads the plan again when they change. */
  pendingServices?: string[];
  source: 'controller' | 'observed';
  /** Why the rows may be stale: stack.yaml does not load (with its file:line:col). */
  problem?: string;
}

/** `event: problem` of `/api/v1/stream`. */
export interface ProblemEvent {
  formatVersion: 1;
  message: string;
}

/** `event: line` of `/api/v1/logs`: `at` is when stack read it (absent when not known), `stream` where it came from. */
export interface LogLineEvent {
  formatVersion: 1;
  service: string;
  text: string;
  stream: 'stdout' | 'stderr' | 'stack';
  at?: string;
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

/**
 * `GET /api/v1/services/:name/history`: its exits, restarts and probe results over time, oldest
 * first, from the controller's events the dashboard heard since it began (empty without a
 * controller), and what the state file records now.
 */
export interface ServiceHistory {
  formatVersion: 1;
  service: string;
  /** `reason` (additive, issue 32): a limit ended it (`killed by the OOM killer (memory limit 512 MB)`). */
  exits: { at: string; code: number | null; signal: string | null; reason?: string }[];
  restarts: { at: string; attempt: number; maxRestarts: number }[];
  probes: { at: string; kind: 'ready' | 'health'; ok: boolean; reason?: string }[];
  recorded: {
    restarts: number;
    lastExit?: { code: number | null; signal: string | null; at: string; reason?: string; duringStart?: boolean };
    probe?: { kind: 'ready' | 'health'; ok: boolean; reason?: string; at: string };
    gaveUp: boolean;
    startedAt?: string;
  } | null;
}

/** `stack diff A B --json`'s body, version 1 (reconcile/render-comparison.ts: `comparisonToJson`). */
export interface DiffJson {
  formatVersion: 1;
  before: string;
  after: string;
  project: { before: string; after: string };
  services: {
    service: string;
    change: 'added' | 'removed' | 'changed';
    enabled: { before: boolean | null; after: boolean | null } | null;
    state: { before: string | null; after: string | null } | null;
    fields: { field: string; sensitive: boolean; before: string | null; after: string | null }[];
  }[];
  summary: { added: number; removed: number; enabled: number; disabled: number; started: number; stopped: number; changed: number };
}

/** `GET /api/v1/history?limit=N`: the commits that touched stack.yaml, newest first. */
export interface FileHistory {
  formatVersion: 1;
  file: string;
  commits: {
    commit: string;
    author: string;
    /** ISO time the commit was authored. */
    date: string;
    subject: string;
    /** `stack diff <commit>^ <commit> --json`'s body; null when a side does not load (`error` says why). */
    diff: DiffJson | null;
    /** The same diff as `stack diff` prints it (uncoloured, without its head and summary lines): what the page shows. */
    lines: string[];
    error?: string;
  }[];
}

/** Every error: the HTTP status says what kind; `code` is the exit code the CLI would give. */
export interface DashErrorBody {
  formatVersion: 1;
  error: { message: string; code: number };
}
