/**
 * The rules of the development loop's keys (`watch:`, `build:`, `restartWith:`, issue 31) that
 * a shape cannot express. Reads the raw document defensively, so these issues appear alongside
 * schema issues. Pure.
 */

import picomatch from 'picomatch';
import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { commandArgv, AS_ARGV_HINT } from './command.js';
import { issueAt, quote, type Locate } from './issues.js';
import { inferProvider } from './service-rules.js';

interface Entry {
  name: string;
  service: Record<string, unknown>;
}

export function checkDevLoop(entries: readonly Entry[], locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const watched = new Set(entries.filter(({ service }) => service.watch !== undefined).map(({ name }) => name));
  const known = new Set(entries.map(({ name }) => name));
  return entries.flatMap(({ name, service }) => [...checkWatch(name, service, locate, providers), ...checkRestartWith(name, service, { watched, known }, locate)]);
}

function checkWatch(name: string, service: Record<string, unknown>, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  const at = (key: string) => ['services', name, key];
  const named = inferProvider(service, providers);
  const provider = providers.find((module) => module.name === named);
  const issues: ConfigIssue[] = [...checkWatchRoots(service.watch, at('watch'), locate)];
  if (service.watch !== undefined && provider !== undefined && provider.rebuilds === undefined) {
    const rebuilt = providers.filter((module) => module.rebuilds !== undefined).map((module) => module.name);
    issues.push(issueAt(locate, at('watch'), `watch applies to ${rebuilt.join(' and ')} services; ${quote(name)} is ${/^[aeiou]/.test(provider.name) ? 'an' : 'a'} ${provider.name} service`));
  }
  if (service.build === undefined) return issues;
  if (service.watch === undefined) {
    issues.push(issueAt(locate, at('build'), `build runs when a watched file changes, and ${quote(name)} has no watch:`, 'add watch: with the globs of its sources'));
  } else if (provider?.rebuilds === 'image') {
    issues.push(issueAt(locate, at('build'), 'a compose service is rebuilt from its compose file (docker compose build), not by build:', 'remove build:; watch: alone rebuilds and restarts it'));
  } else if (typeof service.build === 'string' || Array.isArray(service.build)) {
    const result = commandArgv(service.build as string | string[], service.shell === true);
    if (result.problem !== undefined) issues.push(issueAt(locate, at('build'), `build: ${result.problem}`, service.shell === true ? undefined : AS_ARGV_HINT));
  }
  return issues;
}

/**
 * A glob whose folder is the filesystem's root (`/**`, `/*.conf`) would watch every file of the
 * machine: refused. Its paths as written, in either form of `watch:`.
 */
function checkWatchRoots(watch: unknown, at: (string | number)[], locate: Locate): ConfigIssue[] {
  const listed = Array.isArray(watch) ? { paths: watch, at } : typeof watch === 'object' && watch !== null && Array.isArray((watch as { paths?: unknown }).paths) ? { paths: (watch as { paths: unknown[] }).paths, at: [...at, 'paths'] } : undefined;
  if (!listed) return [];
  return listed.paths.flatMap((glob, index) => {
    if (typeof glob !== 'string' || !glob.startsWith('/') || picomatch.scan(glob).base.replace(/\/+$/, '') !== '') return [];
    return [issueAt(locate, [...listed.at, index], `${quote(glob)} would watch every file on this machine`, 'watch the folders of the service\'s sources, relative to stack.yaml (src/**)')];
  });
}

function checkRestartWith(name: string, service: Record<string, unknown>, names: { watched: ReadonlySet<string>; known: ReadonlySet<string> }, locate: Locate): ConfigIssue[] {
  const written = service.restartWith;
  if (!Array.isArray(written)) return [];
  return written.flatMap((target, index) => {
    if (typeof target !== 'string') return [];
    const at = ['services', name, 'restartWith', index];
    if (target === name) return [issueAt(locate, at, `${quote(name)} cannot restart with itself`)];
    if (!names.known.has(target)) return [issueAt(locate, at, `${quote(target)} is not a service in this file`)];
    if (!names.watched.has(target)) return [issueAt(locate, at, `${quote(target)} has no watch:, so nothing restarts it for ${quote(name)} to follow`, `add watch: to ${target}, or remove it from restartWith`)];
    return [];
  });
}
