/**
 * What a carried-out plan comes to, for people and scripts: the `outcome` of `apply --json`, the
 * summary line, the exit code. Pure, and over the JSON shape, so the CLI says the same of a run
 * it carried out and of one a controller carried out for it (docs/api.md).
 */
import type { ApplyOutcome } from '../model/outcome.js';
import { ExitCode } from '../model/errors.js';
import type { PlanJson } from './render-json.js';
import { formatDuration } from '../config/units.js';

/** The `outcome` of `apply --json` and `down --json` (README, JSON output). */
export interface OutcomeJson {
  interrupted: boolean;
  failed: number;
  skipped: number;
  durationMs: number;
  services: {
    service: string;
    ops: string[];
    status: string;
    durationMs: number;
    error?: string;
    exitCode?: number | null;
    signal?: string | null;
    timedOut?: boolean;
    logTail?: string[];
    note?: string;
  }[];
}

export const NOTHING_DONE: ApplyOutcome = { services: [], interrupted: false, failed: 0 };

export function outcomeToJson(outcome: ApplyOutcome, elapsed: number): OutcomeJson {
  return {
    interrupted: outcome.interrupted,
    failed: outcome.failed,
    skipped: outcome.services.filter((service) => service.status === 'skipped').length,
    durationMs: Math.round(elapsed),
    services: outcome.services.map((service) => ({
      service: service.service,
      ops: service.ops,
      status: service.status,
      durationMs: Math.round(service.durationMs),
      ...(service.error ? { error: service.error } : {}),
      // Additive to formatVersion 1: the failure's facts beside its text (exitCode, signal, timedOut, logTail).
      ...service.facts,
      ...(service.note ? { note: service.note } : {}),
    })),
  };
}

/** 6 when a provider is unavailable (docker missing or down), 1 for other unknowns, else none. */
export function blockedExitCode(plan: Pick<PlanJson, 'blocked'>): ExitCode | undefined {
  if (plan.blocked.some((entry) => entry.unavailable === true)) return ExitCode.providerUnavailable;
  return plan.blocked.length > 0 ? ExitCode.actionFailed : undefined;
}

/**
 * The exit code of a run: 130 interrupted (the CLI says 129 when its terminal closed), 1 when
 * what was done is not recorded, then the plan's blocked entries, then 1 for any failed or
 * skipped service (one the file wants that did not get there).
 */
export function runExitCode(plan: Pick<PlanJson, 'blocked'>, outcome: OutcomeJson, unrecorded = false): ExitCode {
  if (outcome.interrupted) return ExitCode.interrupted;
  if (unrecorded) return ExitCode.actionFailed;
  return blockedExitCode(plan) ?? (outcome.failed > 0 || outcome.skipped > 0 ? ExitCode.actionFailed : ExitCode.ok);
}

/** `Apply complete: 2 started, 1 stopped, 1 failed, 1 skipped (1.2 s).` */
export function runSummaryLine(verb: string, outcome: OutcomeJson, plan: Pick<PlanJson, 'blocked'>, elapsed: number): string {
  const done = outcome.services.filter((service) => service.status === 'done');
  const counts = new Map<string, number>();
  const bump = (word: string) => counts.set(word, (counts.get(word) ?? 0) + 1);
  for (const service of done) bump(service.ops.includes('restart') ? 'restarted' : service.ops.includes('start') ? 'started' : service.ops.includes('uninstall') ? 'removed' : service.ops.includes('stop') ? 'stopped' : 'installed');
  for (const service of outcome.services) if (service.status !== 'done') bump(service.status);
  for (const entry of plan.blocked) bump(entry.kind === 'port-conflict' || entry.kind === 'dependency' ? 'blocked' : entry.kind === 'task-failed' ? 'failed task' : 'unknown');
  const parts = [...counts].map(([word, count]) => `${count} ${word}`);
  const incomplete = outcome.failed > 0 || outcome.skipped > 0 || plan.blocked.length > 0;
  const head = outcome.interrupted ? `${verb} interrupted` : incomplete ? `${verb} finished with failures` : `${verb} complete`;
  return `${head}: ${parts.join(', ') || 'nothing to do'} (${formatDuration(elapsed)}).`;
}
