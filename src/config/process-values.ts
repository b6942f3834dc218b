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

export function checkProcessValues(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  const at: KeyPath = ['services', name];
  const found: { path: KeyPath; what: string }[] = [];
  const look = (value: unknown, path: KeyPath, what: string): void => {
    if (typeof value === 'string' && value.includes('\0')) found.push({ path, what });
  };
  const lookCommand = (value: unknown, path: KeyPath, what: string): void => {
    if (Array.isArray(value)) value.forEach((part, index) => look(part, [...path, index], `argument ${index + 1} of ${what}`));
    else look(value, path, what);
  };
  const lookEnv = (value: unknown, path: KeyPath): void => {
    for (const [key, entry] of Object.entries(asRecord(value) ?? {})) look(entry, [...path, key], `the value of ${key}`);
  };
  lookCommand(service.command, [...at, 'command'], 'command');
  look(service.cwd, [...at, 'cwd'], 'cwd');
  lookEnv(service.env, [...at, 'env']);
  if (Array.isArray(service.envFile)) service.envFile.forEach((path, index) => look(path, [...at, 'envFile', index], 'the env file path'));
  else look(service.envFile, [...at, 'envFile'], 'the env file path');
  for (const key of ['ready', 'health'] as const) lookCommand(asRecord(service[key])?.exec, [...at, key, 'exec'], `${key}.exec`);
  const compose = asRecord(service.compose);
  look(compose?.file, [...at, 'compose', 'file'], 'compose.file');
  lookEnv(compose?.env, [...at, 'compose', 'env']);
  // Positions point at the value; the message never quotes it (it may be a secret).
  return found.map(({ path, what }) => issueAt(locate, path, `${what} ${NUL_RULE}`));
}
