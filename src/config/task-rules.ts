/**
 * The rules of `kind: task` (a command that runs to completion) and of `dependsOn`'s conditions,
 * which a shape cannot express. Reads the raw document defensively, so these issues appear
 * alongside schema issues. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { issueAt, quote } from './issues.js';
import type { Locate } from './issues.js';
import { asRecord, inferProvider } from './service-rules.js';
import { scheduleProblem, type ScheduleInput } from './schedule.js';

interface Entry {
  name: string;
  service: Record<string, unknown>;
}

const TASK_ONLY = ['successExitCodes', 'inputs', 'schedule'] as const;

/** Any fixed time: a schedule is checked by asking for its next run after it (a bad time zone shows there). */
const PROBE_AT = Date.UTC(2026, 0, 1);

export function checkTasks(entries: readonly Entry[], locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const tasks = new Set(entries.filter(({ service }) => service.kind === 'task').map(({ name }) => name));
  // Once, not per service: 10,000 services would make 10^8 set entries.
  const known = new Set(entries.map((entry) => entry.name));
  const scheduled = new Set(entries.filter(({ name, service }) => tasks.has(name) && service.schedule !== undefined).map(({ name }) => name));
  return entries.flatMap(({ name, service }) => [
    ...(tasks.has(name) ? checkTask(name, service, locate, providers) : checkTaskKeys(name, service, locate)),
    ...checkConditions(name, service, { tasks, known }, locate),
    ...checkWaitsForScheduled(name, service, scheduled, locate),
  ]);
}

function checkSchedule(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  const written = service.schedule;
  // The schema speaks of other shapes.
  if (typeof written !== 'string' && asRecord(written) === undefined) return [];
  const problem = scheduleProblem(written as ScheduleInput, PROBE_AT);
  if (problem === undefined) return [];
  const under = problem.key !== undefined && asRecord(written)?.[problem.key] !== undefined ? [problem.key] : [];
  return [issueAt(locate, ['services', name, 'schedule', ...under], problem.message, problem.key === 'cron' || problem.key === undefined ? SCHEDULE_HINT : undefined)];
}

const SCHEDULE_HINT = 'cron has five fields, minute first ("*/15 * * * *"), or six with seconds first; an interval is 30s, 5m or 1h';

/** A scheduled task runs when its time comes, not before what needs it: nothing can wait for it. */
function checkWaitsForScheduled(name: string, service: Record<string, unknown>, scheduled: ReadonlySet<string>, locate: Locate): ConfigIssue[] {
  const written = service.dependsOn;
  const deps = Array.isArray(written) ? written : Object.keys(asRecord(written) ?? {});
  return deps
    .filter((dep): dep is string => typeof dep === 'string' && dep !== name && scheduled.has(dep))
    .map((dep) =>
      issueAt(locate, ['services', name, 'dependsOn', ...(Array.isArray(written) ? [] : [dep])], `${quote(dep)} runs on a schedule, so ${quote(name)} cannot wait for it`, `remove ${dep} from dependsOn; a scheduled task's own dependsOn makes it wait for what it needs`),
    );
}

function checkTask(name: string, service: Record<string, unknown>, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const at = (key: string) => ['services', name, key];
  const issues: ConfigIssue[] = [];
  const provider = providers.find((module) => module.name === inferProvider(service, providers));
  if (provider && !provider.runsTasks) {
    const hint = `a task is a command: write command: instead of ${provider.key}:, or run the one-shot step inside the ${provider.name} service`;
    issues.push(issueAt(locate, at('kind'), `kind: task applies to command services; ${quote(name)} is a ${provider.name} service`, hint));
  }
  for (const key of ['ready', 'health'] as const) {
    if (service[key] !== undefined) {
      issues.push(issueAt(locate, at(key), `a task runs to completion and has no ${key}: probe`, 'what depends on it waits for its success: dependsOn: { ' + name + ': completed }'));
    }
  }
  if (service.schedule !== undefined) issues.push(...checkSchedule(name, service, locate));
  if (asRecord(service.restart)?.policy === 'always') {
    issues.push(issueAt(locate, ['services', name, 'restart', 'policy'], 'restart: { policy: always } would run a task again each time it completes', 'a task runs once per change of its spec; on-failure retries a failed run'));
  }
  return issues;
}

function checkTaskKeys(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  return TASK_ONLY.filter((key) => service[key] !== undefined).map((key) =>
    issueAt(locate, ['services', name, key], `${key} applies to tasks, and ${quote(name)} is not one`, 'add kind: task for a command that runs to completion'),
  );
}

/** `completed` waits for a task's success: on a service that never completes it would wait for ever. */
function checkConditions(name: string, service: Record<string, unknown>, names: { tasks: ReadonlySet<string>; known: ReadonlySet<string> }, locate: Locate): ConfigIssue[] {
  const map = asRecord(service.dependsOn);
  if (!map) return [];
  return Object.entries(map)
    .filter(([dep, condition]) => condition === 'completed' && dep !== name && names.known.has(dep) && !names.tasks.has(dep))
    .map(([dep]) =>
      issueAt(locate, ['services', name, 'dependsOn', dep], `${quote(dep)} is not a task (kind: task), so it never completes`, `wait for it with ${dep}: ready (or started), or give ${dep} kind: task`),
    );
}
