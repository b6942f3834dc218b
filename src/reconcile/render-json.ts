import type { BlockedKind, Plan, PlanSummary } from '../model/plan.js';

/** `stack plan --json`, version 1. A public contract: keys and their order never change. */
export interface PlanJson {
  formatVersion: 1;
  project: string;
  /** `task`: additive, a task's start (it runs to completion). */
  actions: { service: string; op: string; reason: string; task?: true }[];
  summary: PlanSummary;
  /** Additive to formatVersion 1 (README.md, "JSON output"): services reported, not acted on. */
  blocked: { service: string; kind: BlockedKind; reason: string; unavailable?: true }[];
  /** Additive: each service's named ports, `{ api: { http: 41234 } }`; absent when none. */
  ports?: Record<string, Record<string, number>>;
  /** Additive: kept ports picked again, and why; absent when none. */
  notes?: string[];
}

/** The plan as its JSON contract object, keys in contract order. */
export function planToJson(plan: Plan): PlanJson {
  const { summary } = plan;
  return {
    formatVersion: 1,
    project: plan.project,
    actions: plan.actions.map((action) => ({ service: action.service, op: action.op, reason: action.reason, ...(action.task ? { task: true as const } : {}) })),
    summary: {
      install: summary.install,
      start: summary.start,
      restart: summary.restart,
      stop: summary.stop,
      uninstall: summary.uninstall,
      unknown: summary.unknown,
    },
    // `unavailable`: additive; its provider is missing or down (apply exits 6).
    blocked: plan.blocked.map((entry) => ({ service: entry.service, kind: entry.kind ?? 'unknown', reason: entry.reason, ...(entry.unavailable ? { unavailable: true as const } : {}) })),
    ...(plan.ports ? { ports: Object.fromEntries(Object.entries(plan.ports).map(([service, named]) => [service, { ...named }])) } : {}),
    ...(plan.notes ? { notes: [...plan.notes] } : {}),
  };
}

/** `stack plan --json` output: 2-space indent and a trailing newline. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(planToJson(plan), null, 2)}\n`;
}
