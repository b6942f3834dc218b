/**
 * Values no process can receive: the kernel takes arguments, environment entries and paths as
 * C strings, so a NUL character ("\0", possible in a double-quoted YAML string) would make the
 * spawn fail at apply time, after other services had moved. Reported with the file's other
 * issues instead. Reads the raw document defensively. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { ProcessValueKeys, ProviderCatalog } from '../model/provider-module.js';
import { issueAt } from './issues.js';
import type { KeyPath, Locate } from './issues.js';
import { asRecord } from './service-rules.js';

const NUL_RULE = 'holds a NUL character ("\\0"), which no process can receive';

export function checkProcessValues(name: string, service: Record<string, unknown>, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const at: KeyPath = ['services', name];
  const found: { path: KeyPath; what: string }[] = [];
  // Paths and words are made only for a value found (a thousand services have tens of thousands of values).
  const hasNul = (value: unknown): boolean => typeof value === 'string' && value.includes('\0');
  const look = (value: unknown, path: () => KeyPath, what: string): void => {
    if (hasNul(value)) found.push({ path: path(), what });
  };
  const lookList = (value: unknown, path: () => KeyPath, what: (index: number) => string, whole: string): void => {
    if (!Array.isArray(value)) return look(value, path, whole);
    value.forEach((part, index) => hasNul(part) && found.push({ path: [...path(), index], what: what(index) }));
  };
  const lookCommand = (value: unknown, path: () => KeyPath, what: string): void => lookList(value, path, (index) => `argument ${index + 1} of ${what}`, what);
  const lookEnv = (value: unknown, path: () => KeyPath): void => {
    for (const [key, entry] of Object.entries(asRecord(value) ?? {})) look(entry, () => [...path(), key], `the value of ${key}`);
  };
  const lookEnvFiles = (value: unknown, path: () => KeyPath): void => lookList(value, path, () => 'the env file path', 'the env file path');
  // Each provider's keys wherever they appear, as its other checks are (service-rules.ts).
  const keys = processValueKeys(providers);
  const under = (key: KeyPath) => (): KeyPath => [...at, ...key];
  for (const key of keys.commands) lookCommand(valueAt(service, key), under(key), key.join('.'));
  for (const key of keys.strings) look(valueAt(service, key), under(key), key.join('.'));
  for (const key of keys.env) lookEnv(valueAt(service, key), under(key));
  for (const key of keys.envFiles) lookEnvFiles(valueAt(service, key), under(key));
  for (const key of ['ready', 'health'] as const) lookCommand(asRecord(service[key])?.exec, under([key, 'exec']), `${key}.exec`);
  // Positions point at the value; the message never quotes it (it may be a secret).
  return found.map(({ path, what }) => issueAt(locate, path, `${what} ${NUL_RULE}`));
}

type KeysByKind = { readonly [K in keyof ProcessValueKeys]-?: readonly KeyPath[] };
const keysByCatalog = new WeakMap<ProviderCatalog, KeysByKind>();

/**
 * Every provider's keys of each kind, each key once (a key several providers read, `env`, is
 * checked once). Made once per catalog, not once per service (~8 ms of a stack of 1,000).
 */
export function processValueKeys(providers: ProviderCatalog): KeysByKind {
  const known = keysByCatalog.get(providers);
  if (known) return known;
  const unique = (kind: keyof ProcessValueKeys): KeyPath[] => {
    const seen = new Map<string, KeyPath>();
    for (const module of providers) for (const key of module.processValues?.[kind] ?? []) seen.set(JSON.stringify(key), key);
    return [...seen.values()];
  };
  const keys = { commands: unique('commands'), strings: unique('strings'), envFiles: unique('envFiles'), env: unique('env') };
  keysByCatalog.set(providers, keys);
  return keys;
}

/** What a raw service map holds at `path`, read defensively. */
export function valueAt(service: unknown, path: KeyPath): unknown {
  return path.reduce<unknown>((value, key) => (typeof key === 'number' ? (Array.isArray(value) ? value[key] : undefined) : asRecord(value)?.[key]), service);
}
