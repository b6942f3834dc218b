/**
 * Values no process can receive: the kernel takes arguments, environment entries and paths as
 * C strings, so a NUL character ("\0", possible in a double-quoted YAML string) would make the
 * spawn fail at apply time, after other services had moved. Reported with the file's other
 * issues instead. Reads the raw document defensively. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import { issueAt } from './issues.js';
import type { KeyPath, Locate } from './issues.js';
import { asRecord } from './service-rules.js';

const NUL_RULE = 'holds a NUL character ("\\0"), which no process can receive';

/** A value a process will receive, where it is written, and how a message names it. */
export interface ProcessValue {
  value: unknown;
  path: KeyPath;
  what: string;
}

/** A command's values: the string, or each argument of a list. */
export function commandValues(value: unknown, path: KeyPath, what: string): ProcessValue[] {
  if (Array.isArray(value)) return value.map((part, index) => ({ value: part, path: [...path, index], what: `argument ${index + 1} of ${what}` }));
  return [{ value, path, what }];
}

/** An env map's values. */
export function envValues(value: unknown, path: KeyPath): ProcessValue[] {
  return Object.entries(asRecord(value) ?? {}).map(([key, entry]) => ({ value: entry, path: [...path, key], what: `the value of ${key}` }));
}

/** The values among `values` holding a NUL. Positions point at the value; the message never quotes it (it may be a secret). */
export function checkValuesReachProcess(values: readonly ProcessValue[], locate: Locate): ConfigIssue[] {
  return values.filter(({ value }) => typeof value === 'string' && value.includes('\0')).map(({ path, what }) => issueAt(locate, path, `${what} ${NUL_RULE}`));
}

export function checkProcessValues(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  const at: KeyPath = ['services', name];
  const values: ProcessValue[] = [
    ...commandValues(service.command, [...at, 'command'], 'command'),
    { value: service.cwd, path: [...at, 'cwd'], what: 'cwd' },
    ...envValues(service.env, [...at, 'env']),
    ...(Array.isArray(service.envFile)
      ? service.envFile.map((path, index) => ({ value: path as unknown, path: [...at, 'envFile', index], what: 'the env file path' }))
      : [{ value: service.envFile, path: [...at, 'envFile'], what: 'the env file path' }]),
    ...(['ready', 'health'] as const).flatMap((key) => commandValues(asRecord(service[key])?.exec, [...at, key, 'exec'], `${key}.exec`)),
  ];
  const compose = asRecord(service.compose);
  values.push({ value: compose?.file, path: [...at, 'compose', 'file'], what: 'compose.file' }, ...envValues(compose?.env, [...at, 'compose', 'env']));
  return checkValuesReachProcess(values, locate);
}
