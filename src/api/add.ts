/**
 * What `stack add` does before it writes stack.yaml: a plugin folder checked, or a git source
 * cloned into plugins/<name> and pinned to its commit, and the service entry that declares it.
 */

import { rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { SERVICE_NAME } from '../config/semantic.js';
import { ExitCode, invalidConfig, StackError } from '../model/errors.js';
import { clonePinned, isGitSource, splitGitSource, withoutCredentials } from '../providers/plugin/git-source.js';

export interface AddOptions {
  /** `--name`: the service's name; else the plugin's own, or its folder's. */
  name?: string;
  /** `--stopped`: declared `state: stopped`. */
  stopped?: boolean;
}

/**
 * The service `source` (a plugin folder, or a git URL with an optional `#ref`) adds to the stack
 * in `root`, whose services are named `taken`. A git source is cloned, and removed again when it
 * is not a valid plugin. Throws a StackError saying why it cannot be added.
 */
export function preparePluginService(source: string, root: string, taken: ReadonlySet<string>, options: AddOptions = {}): Promise<AddedService> {
  return isGitSource(source) ? addFromGit(source, root, options, taken) : addFolder(source, root, options, taken);
}

/** A plugin service ready to be written into stack.yaml: its name, its entry, and the commit a git source was pinned to. */
export interface AddedService {
  name: string;
  entry: Record<string, unknown>;
  pinned?: string;
}

async function addFolder(source: string, root: string, options: AddOptions, taken: ReadonlySet<string>): Promise<AddedService> {
  const dir = resolve(source);
  if (!(await stat(dir).then((info) => info.isDirectory(), () => false))) {
    throw new StackError(ExitCode.actionFailed, `${source} is neither a plugin folder nor a git URL`);
  }
  const plugin = await validPlugin(dir);
  const name = chooseName(options.name, plugin.name, basename(dir), taken);
  return { name, entry: entryFor(pathFromRoot(root, dir), options) };
}

async function addFromGit(source: string, root: string, options: AddOptions, taken: ReadonlySet<string>): Promise<AddedService> {
  const { url, ref } = splitGitSource(source);
  refuseCredentials(url);
  const isPath = !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[\w.-]+@[\w.-]+:/.test(url);
  const cloneUrl = isPath ? resolve(url) : url;
  const fromUrl = basename(url.replace(/\/+$/, '')).replace(/\.git$/, '');
  const name = chooseName(options.name, undefined, fromUrl, taken);
  const dest = join(root, 'plugins', name);
  if (await stat(dest).then(() => true, () => false)) {
    throw new StackError(ExitCode.actionFailed, `${pathFromRoot(root, dest)} already exists`, { hint: 'choose another name with --name, or add the folder itself' });
  }
  try {
    const commit = await clonePinned(cloneUrl, ref, dest, undefined);
    await validPlugin(dest);
    const entry = entryFor({ path: pathFromRoot(root, dest), source: cloneUrl, ref: commit }, options);
    return { name, entry, pinned: commit };
  } catch (error) {
    // The clone is ours: leave no half-added plugin behind.
    await rm(dest, { recursive: true, force: true });
    throw error;
  }
}

// stack.yaml is meant to be committed, and the URL goes into it (and into the clone's .git/config).
function refuseCredentials(url: string): void {
  const bare = withoutCredentials(url);
  if (bare === undefined) return;
  throw new StackError(ExitCode.actionFailed, `the git URL carries credentials, which stack would write into stack.yaml: give it as ${bare}`, {
    hint: 'let git supply them: `git config --global credential.helper store` (or `cache`, or your system keychain\'s helper) asks once and remembers them; or use an SSH URL (git@host:owner/repo.git)',
  });
}

async function validPlugin(dir: string) {
  // Loaded when called: plugin.yaml's schema brings zod, which other commands never load.
  const { loadPluginDir } = await import('../load/read-plugin.js');
  const result = await loadPluginDir(dir);
  if (result.plugin) return result.plugin;
  throw invalidConfig(result.issues[0]?.position?.file ?? join(dir, 'plugin.yaml'), result.issues);
}

/** --name, else the plugin's own name or the folder's, made fit to be a service name. */
function chooseName(explicit: string | undefined, pluginName: string | undefined, fallback: string, taken: ReadonlySet<string>): string {
  const name = explicit ?? slug(pluginName ?? '') ?? slug(fallback) ?? '';
  if (!SERVICE_NAME.test(name)) {
    throw new StackError(ExitCode.actionFailed, `"${name}" cannot name a service (lowercase letters, digits, - and _)`, { hint: 'pass --name' });
  }
  if (taken.has(name)) throw new StackError(ExitCode.actionFailed, `stack.yaml already has a service named "${name}"`, { hint: 'pass --name' });
  return name;
}

function slug(text: string): string | undefined {
  const name = text.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '').slice(0, 63);
  return SERVICE_NAME.test(name) ? name : undefined;
}

function pathFromRoot(root: string, dir: string): string {
  const rel = relative(root, dir);
  if (rel === '') return '.';
  return isAbsolute(rel) || rel.startsWith('..') ? (rel.length < dir.length ? rel : dir) : `./${rel}`;
}

function entryFor(plugin: string | Record<string, string>, options: AddOptions): Record<string, unknown> {
  return { provider: 'plugin', plugin, ...(options.stopped ? { state: 'stopped' } : {}) };
}
