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

interface Entry {
  name: string;
  service: Record<string, unknown>;
}

const TASK_ONLY = ['successExitCodes', 'inputs'] as const;

export function checkTasks(entries: readonly Entry[], locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const tasks = new Set(entries.filter(({ service }) => service.kind === 'task').map(({ name }) => name));
  // Once, not per service: 10,000 services would make 10^8 set entries.
  const known = new Set(entries.map((entry) => entry.name));
  return entries.flatMap(({ name, service }) => [
    ...(tasks.has(name) ? checkTask(name, service, locate, providers) : checkTaskKeys(name, service, locate)),
    ...checkConditions(name, service, { tasks, known }, locate),
  ]);
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
