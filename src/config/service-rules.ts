/**
 * Rules within one service that a shape cannot express: which provider it is, which keys go
 * with it, how its command splits and what its probes check. Reads the raw document
 * defensively, so these issues appear alongside schema issues. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { AS_ARGV_HINT, commandArgv } from './command.js';
import { issueAt, listOr, quote, suggest } from './issues.js';
import type { Locate } from './issues.js';
import type { ProviderName } from '../model/desired.js';

const PROBE_KINDS = ['tcp', 'http', 'exec', 'log'] as const;

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The provider a service declares or implies, when that is unambiguous. */
export function inferProvider(service: Record<string, unknown>, providers: ProviderCatalog): ProviderName | undefined {
  const declared = service.provider;
  if (declared !== undefined) return providers.find((module) => module.name === declared)?.name;
  const present = providers.filter((module) => service[module.key] !== undefined);
  return present.length === 1 ? present[0]?.name : undefined;
}

export function checkService(name: string, service: Record<string, unknown>, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  // Each provider checks its own keys wherever they appear: a misplaced key is one issue, its value may be another.
  const own = providers.flatMap((module) => module.check?.(name, service, locate) ?? []);
  return [...checkProvider(name, service, locate, providers), ...own, ...checkProbes(name, service, locate)];
}

function checkProvider(name: string, service: Record<string, unknown>, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const at = ['services', name];
  const keys = providers.map((module) => module.key);
  const present = providers.filter((module) => service[module.key] !== undefined);
  const declared = service.provider;
  if (declared === undefined) {
    if (present.length === 0) {
      // A typo like `comand` is already reported as an unknown key with a suggestion. (Looked for
      // only here: every service has keys that are no provider's, and suggest() costs.)
      if (Object.keys(service).some((key) => !keys.includes(key) && suggest(key, keys))) return [];
      const hint = providers.map((module, index) => `${module.key}${index === 0 ? ' runs' : ''} ${module.runs}`).join(', ');
      return [issueAt(locate, at, `service ${quote(name)} needs one of ${listOr(keys)}`, hint)];
    }
    if (present.length > 1) {
      const [first, second] = present.map((module) => module.key);
      return [issueAt(locate, [...at, second as string], `service ${quote(name)} sets both ${first} and ${second}; a service has exactly one of ${listOr(keys)}`)];
    }
  }
  const provider = providers.find((module) => module.name === inferProvider(service, providers));
  if (!provider) return [];
  const issues: ConfigIssue[] = [];
  if (service[provider.key] === undefined) {
    issues.push(issueAt(locate, [...at, 'provider'], `a ${provider.name} service needs the key "${provider.key}"`));
  }
  for (const [key, owners] of keyOwners(providers)) {
    if (service[key] !== undefined && !owners.includes(provider.name)) {
      const hint = provider.foreignKeyHints?.[key];
      issues.push(issueAt(locate, [...at, key], `"${key}" only applies to ${owners.join(' and ')} services, and this one is a ${provider.name} service`, hint));
    }
  }
  return issues;
}

const ownersByCatalog = new WeakMap<ProviderCatalog, ReadonlyMap<string, readonly ProviderName[]>>();

/**
 * Each key that only some providers read (a provider's own key, `cwd`, `env`, …) → those
 * providers. Made once per catalog, not once per service (~8 ms of a stack of 1,000).
 */
function keyOwners(providers: ProviderCatalog): ReadonlyMap<string, readonly ProviderName[]> {
  const known = ownersByCatalog.get(providers);
  if (known) return known;
  const owners = new Map<string, ProviderName[]>();
  for (const module of providers) {
    for (const key of [module.key, ...(module.ownKeys ?? [])]) owners.set(key, [...(owners.get(key) ?? []), module.name]);
  }
  ownersByCatalog.set(providers, owners);
  return owners;
}

/** The problem with a service's command (a glob, an unclosed quote), at `services.<name>.<key>`. */
export function checkCommand(name: string, command: unknown, shell: boolean, locate: Locate, key: readonly (string | number)[] = ['command']): ConfigIssue[] {
  if (!isCommand(command)) return [];
  const result = commandArgv(command, shell);
  return result.problem ? [issueAt(locate, ['services', name, ...key], result.problem)] : [];
}

function checkProbes(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of ['ready', 'health'] as const) {
    const probe = asRecord(service[key]);
    if (!probe) continue;
    const at = ['services', name, key];
    const kinds = PROBE_KINDS.filter((kind) => probe[kind] !== undefined);
    // A typo like `tpc` is already reported as an unknown key with a suggestion.
    const typo = Object.keys(probe).some((other) => !(PROBE_KINDS as readonly string[]).includes(other) && suggest(other, PROBE_KINDS));
    if (kinds.length === 0 && !typo) issues.push(issueAt(locate, at, `${key} needs one of tcp, http, exec or log`));
    if (kinds.length > 1) {
      issues.push(issueAt(locate, [...at, kinds[1] as string], `${key} checks one thing: keep only one of ${kinds.join(' and ')}`));
    }
    // fetch refuses a URL with credentials, so such a probe could never pass.
    if (typeof probe.http === 'string' && hasCredentials(probe.http)) {
      issues.push(issueAt(locate, [...at, 'http'], `credentials in the ${key} URL (user:password@) are not supported`));
    }
    if (isCommand(probe.exec)) {
      const result = commandArgv(probe.exec, false);
      if (result.problem) issues.push(issueAt(locate, [...at, 'exec'], probeCommandProblem(result.problem)));
    }
    if (typeof probe.log === 'string') {
      const problem = !isRegExp(probe.log) ? 'is not a valid regular expression' : linearTimeProblem(probe.log);
      if (problem) issues.push(issueAt(locate, [...at, 'log'], `log ${problem}: ${quote(probe.log)}`));
    }
  }
  return issues;
}

function isCommand(value: unknown): value is string | (string | number | boolean)[] {
  if (typeof value === 'string') return true;
  return Array.isArray(value) && value.every((part) => ['string', 'number', 'boolean'].includes(typeof part));
}

function hasCredentials(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { username, password } = new URL(url);
  return username !== '' || password !== '';
}

function isRegExp(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/**
 * `log:` patterns run on a linear-time engine (RE2's syntax, src/providers/log-pattern.ts), which
 * has no backreferences or lookaround: say so here rather than when the probe first runs.
 */
function linearTimeProblem(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const rest = pattern.slice(i);
    if (rest.startsWith('\\')) {
      if (/^\\([1-9]|k<)/.test(rest)) return 'uses a backreference, which the linear-time engine of log probes does not have (RE2 syntax)';
      i++;
    } else if (/^\(\?(=|!|<=|<!)/.test(rest)) {
      return 'uses lookahead or lookbehind, which the linear-time engine of log probes does not have (RE2 syntax)';
    }
  }
  return undefined;
}

// `shell: true` belongs to the service, not its probes: a probe that needs a shell says so itself.
function probeCommandProblem(problem: string): string {
  return problem.replace(/^command/, 'exec').replace(AS_ARGV_HINT, 'write it as a list of arguments, e.g. [sh, -c, "…"] for shell syntax');
}
