/** plugin.yaml text → a resolved plugin manifest: parse → validate → resolve, like stack.yaml. Pure. */

import type { ConfigIssue } from '../model/errors.js';
import { envFileList, parseEnvFile } from './env-files.js';
import { escapeControls, issueAt, sortIssues } from './issues.js';
import type { Locate } from './issues.js';
import { parseStackText } from './parse.js';
import { resolvePath } from './paths.js';
import { isSensitiveKey } from './sensitive.js';
import { LIFECYCLE_COMMANDS, getPluginSchemas } from './plugin-schema.js';
import type { LifecycleCommand, PluginFile } from './plugin-schema.js';
import type { PortSpec } from '../model/desired.js';
import { parseDuration, parsePort } from './units.js';
import { validateAgainst } from './validate.js';

export const PLUGIN_FILE = 'plugin.yaml';
export const DEFAULT_INSTALL_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_LIFECYCLE_TIMEOUT_MS = 60_000;

/** A plugin as its lifecycle runs it: commands, timeouts in ms, env merged, paths absolute. */
export interface PluginManifest {
  name: string;
  version?: string;
  description?: string;
  /** Absolute plugin folder. */
  dir: string;
  lifecycle: Partial<Record<LifecycleCommand, string>> & { start: string; stop: string };
  timeoutsMs: Record<LifecycleCommand, number>;
  /** plugin.yaml's env files in order, then its `env` (later wins). */
  env: Record<string, string>;
  envFiles: string[];
  /** Values of its env that are secrets: read from its env files, or under a key named like one. */
  secrets: string[];
  ports: PortSpec[];
  ignore: string[];
  /** Leave what the folder's `.gitignore` files ignore out of the files digest (default true). */
  gitignore: boolean;
}

export interface LoadedPlugin {
  /** Present exactly when `issues` is empty. */
  plugin?: PluginManifest;
  issues: ConfigIssue[];
  /** Absolute paths of the env files plugin.yaml names; pass their texts in on a second call. */
  envFilesWanted: string[];
}

/**
 * Loads plugin.yaml from its text; `dir` is the plugin folder (absolute). Never throws.
 * Like loadStackText: call once, read `envFilesWanted`, call again with their texts.
 */
export function loadPluginText(
  text: string,
  dir: string,
  envFileTexts: ReadonlyMap<string, string> = new Map(),
  options: { displayFile?: string } = {},
): LoadedPlugin {
  const parsed = parseStackText(text, options.displayFile ?? `${dir}/${PLUGIN_FILE}`);
  if (parsed.document === undefined || parsed.issues.length > 0) return { issues: sortIssues(parsed.issues), envFilesWanted: [] };
  const validated = validateAgainst(getPluginSchemas().PluginFileSchema, parsed.document, parsed.locate);
  if (!validated.value) return { issues: sortIssues(validated.issues), envFilesWanted: [] };
  const raw = validated.value;
  const envFilesWanted = envFileList(raw.envFile).map((path) => resolvePath(dir, path));
  const env = resolveEnv(raw, envFilesWanted, envFileTexts, parsed.locate);
  if (env.issues.length > 0) return { issues: sortIssues(env.issues), envFilesWanted };
  const plugin: PluginManifest = {
    name: raw.name,
    dir,
    lifecycle: lifecycleOf(raw),
    timeoutsMs: timeoutsOf(raw.lifecycle.timeout),
    env: env.env,
    envFiles: envFilesWanted,
    secrets: env.secrets,
    ports: (raw.ports ?? []).flatMap((port) => parsePort(port) ?? []),
    ignore: [...(raw.ignore ?? [])],
    gitignore: raw.gitignore ?? true,
  };
  if (raw.version !== undefined) plugin.version = String(raw.version);
  if (raw.description !== undefined) plugin.description = raw.description;
  return { plugin, issues: [], envFilesWanted };
}

function lifecycleOf(raw: PluginFile): PluginManifest['lifecycle'] {
  const { timeout: _timeout, ...commands } = raw.lifecycle;
  return commands;
}

function timeoutsOf(timeout: PluginFile['lifecycle']['timeout']): Record<LifecycleCommand, number> {
  const ms = (text: string | undefined): number | undefined => (text === undefined ? undefined : parseDuration(text));
  const all = typeof timeout === 'string' ? ms(timeout) : undefined;
  const own = typeof timeout === 'object' ? timeout : {};
  const entries = LIFECYCLE_COMMANDS.map((command) => {
    const fallback = command === 'install' ? DEFAULT_INSTALL_TIMEOUT_MS : DEFAULT_LIFECYCLE_TIMEOUT_MS;
    return [command, ms(own[command]) ?? all ?? fallback] as const;
  });
  return Object.fromEntries(entries) as Record<LifecycleCommand, number>;
}

function resolveEnv(
  raw: PluginFile,
  envFiles: readonly string[],
  texts: ReadonlyMap<string, string>,
  locate: Locate,
): { env: Record<string, string>; secrets: string[]; issues: ConfigIssue[] } {
  const env: Record<string, string> = {};
  const fromFiles = new Set<string>();
  const issues: ConfigIssue[] = [];
  const declared = envFileList(raw.envFile);
  envFiles.forEach((absolute, index) => {
    const text = texts.get(absolute);
    const path = typeof raw.envFile === 'string' ? ['envFile'] : ['envFile', index];
    if (text === undefined) {
      issues.push(issueAt(locate, path, `env file ${escapeControls(declared[index] ?? '')} not found`, `looked for ${escapeControls(absolute)}`));
      return;
    }
    const parsed = parseEnvFile(text, declared[index] ?? absolute);
    issues.push(...parsed.problems.map((problem) => issueAt(locate, path, problem)));
    Object.assign(env, parsed.env);
    for (const key of Object.keys(parsed.env)) fromFiles.add(key);
  });
  for (const [key, value] of Object.entries(raw.env ?? {})) env[key] = String(value);
  const secrets = Object.entries(env).filter(([key, value]) => value !== '' && (fromFiles.has(key) || isSensitiveKey(key, []))).map(([, value]) => value);
  return { env, secrets, issues };
}
