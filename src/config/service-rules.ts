/**
 * Rules within one service that a shape cannot express: which provider it is, which keys go
 * with it, how its command splits and what its probes check. Reads the raw document
 * defensively, so these issues appear alongside schema issues. Pure.
 */

import type { ConfigIssue } from '../model/errors.js';
import { AS_ARGV_HINT, commandArgv } from './command.js';
import { issueAt, quote, suggest } from './issues.js';
import type { Locate } from './issues.js';
import type { ProviderName } from '../model/desired.js';

const PROVIDER_KEYS = { process: 'command', compose: 'compose', plugin: 'plugin' } as const;
const PROVIDER_KEY_NAMES = new Set(['command', 'compose', 'plugin']);
// Keys that only some providers read (`env` reaches a plugin's lifecycle commands).
const KEY_OWNERS: Record<string, readonly ProviderName[]> = {
  shell: ['process'],
  cwd: ['process'],
  env: ['process', 'plugin'],
  envFile: ['process', 'plugin'],
};
const PROBE_KINDS = ['tcp', 'http', 'exec', 'log'] as const;

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The provider a service declares or implies, when that is unambiguous. */
export function inferProvider(service: Record<string, unknown>): ProviderName | undefined {
  const declared = service.provider;
  if (declared === 'process' || declared === 'compose' || declared === 'plugin') return declared;
  if (declared !== undefined) return undefined;
  const present = (Object.keys(PROVIDER_KEYS) as ProviderName[]).filter((name) => service[PROVIDER_KEYS[name]] !== undefined);
  return present.length === 1 ? present[0] : undefined;
}

export function checkService(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  return [...checkProvider(name, service, locate), ...checkCommand(name, service, locate), ...checkProbes(name, service, locate)];
}

function checkProvider(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  const at = ['services', name];
  const present = (Object.keys(PROVIDER_KEYS) as ProviderName[]).filter((kind) => service[PROVIDER_KEYS[kind]] !== undefined);
  const declared = service.provider;
  if (declared === undefined) {
    // A typo like `comand` is already reported as an unknown key with a suggestion.
    const typo = Object.keys(service).some((key) => !PROVIDER_KEY_NAMES.has(key) && suggest(key, Object.values(PROVIDER_KEYS)));
    if (present.length === 0 && !typo) {
      return [issueAt(locate, at, `service ${quote(name)} needs one of command, compose or plugin`, 'command runs a process, compose a docker compose project, plugin a plugin folder')];
    }
    if (present.length === 0) return [];
    if (present.length > 1) {
      const keys = present.map((kind) => PROVIDER_KEYS[kind]);
      return [issueAt(locate, [...at, keys[1] as string], `service ${quote(name)} sets both ${keys[0]} and ${keys[1]}; a service has exactly one of command, compose or plugin`)];
    }
  }
  const provider = inferProvider(service);
  if (!provider) return [];
  const issues: ConfigIssue[] = [];
  const needed = PROVIDER_KEYS[provider];
  if (service[needed] === undefined) {
    issues.push(issueAt(locate, [...at, 'provider'], `a ${provider} service needs the key "${needed}"`));
  }
  for (const kind of present) {
    if (kind !== provider) issues.push(misplaced(locate, at, PROVIDER_KEYS[kind], provider));
  }
  for (const [key, owners] of Object.entries(KEY_OWNERS)) {
    if (service[key] !== undefined && !owners.includes(provider)) issues.push(misplaced(locate, at, key, provider));
  }
  return issues;
}

function misplaced(locate: Locate, at: string[], key: string, provider: ProviderName): ConfigIssue {
  const owners = KEY_OWNERS[key] ?? (key === 'compose' ? ['compose'] : key === 'plugin' ? ['plugin'] : ['process']);
  return issueAt(locate, [...at, key], `"${key}" only applies to ${owners.join(' and ')} services, and this one is a ${provider} service`);
}

function checkCommand(name: string, service: Record<string, unknown>, locate: Locate): ConfigIssue[] {
  const command = service.command;
  if (!isCommand(command)) return [];
  const result = commandArgv(command, service.shell === true);
  return result.problem ? [issueAt(locate, ['services', name, 'command'], result.problem)] : [];
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
