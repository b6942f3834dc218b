// What `stack plan` prints and `stack apply` carries out.

export type Op = 'install' | 'start' | 'stop' | 'uninstall';
export type Symbol = '+' | '~' | '-' | '!';

/** The files of a service that differ from what was applied, by relative path. */
export interface FileChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/** A field of a service's spec that differs from what was applied. */
export interface FieldChange {
  field: string;
  before?: string;
  after?: string;
  sensitive: boolean;
  /** For the files digest (`plugin.files`), when both sides know their files: which ones differ (then no before/after). */
  files?: FileChanges;
}

export interface Action {
  service: string;
  op: Op;
  reason: string;
  symbol: Exclude<Symbol, '!'>;
  /** Part of a restart (its stop or its start). */
  restart: boolean;
  /** Set when the service is in the plan only because of `--target`. */
  pulledInBy?: string;
  /** A stop only because this dependency stops or is declared not to run: recorded as `stoppedWith`. */
  stopsWith?: string;
  changes?: FieldChange[];
  /** A task's start: it runs to completion (`run` in the plan). */
  task?: true;
}

/** A service whose phase could not be determined: reported, never acted on. */
export type BlockedKind = 'unknown' | 'gave-up' | 'port-conflict' | 'dependency' | 'task-failed';

export interface Blocked {
  service: string;
  reason: string;
  /**
   * Why it is blocked: its phase is `unknown` (the default), it used up maxRestarts, a declared
   * port is held by another process, a dependency it needs to start is blocked, or it is a task
   * whose run of the current spec failed (it runs again once its spec or inputs change).
   */
  kind?: BlockedKind;
  /** Its provider is unavailable (docker missing or its daemon down): apply exits 6. */
  unavailable?: boolean;
}

export interface PlanSummary {
  install: number;
  start: number;
  restart: number;
  stop: number;
  uninstall: number;
  unknown: number;
}

export interface Plan {
  formatVersion: 1;
  project: string;
  /** In execution order: the stop phase, then the start phase (rolling: each service's stop and start together). */
  actions: Action[];
  blocked: Blocked[];
  summary: PlanSummary;
  /** Services that already match stack.yaml. */
  unchanged: string[];
  /**
   * `stack restart --rolling`: carried out one unit at a time in the order of `actions`, each
   * waiting for the one before to finish; a unit that fails stops the roll there.
   */
  rolling?: true;
  /** Each service's named ports (`ports: { http: auto }`) as this copy of the stack has them; absent when none. */
  ports?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** What the plan tells besides its actions: a kept port picked again because another process holds it. */
  notes?: string[];
}
