/** The I/O edge of plugin.yaml: reads the file and its env files, then hands the texts to the pure loader. */

import { join } from 'node:path';
import { relativePath } from '../config/paths.js';
import { ExitCode, invalidConfig, StackError } from '../model/errors.js';
import type { ConfigIssue } from '../model/errors.js';
import { MAX_STACK_FILE_BYTES } from '../config/limits.js';
import { readRegularFile } from '../os/safe-file.js';
import { loadPluginText, PLUGIN_FILE, type PluginManifest } from '../config/plugin-file.js';
import type { DesiredServiceOf } from '../model/desired.js';
import { escapeControls } from '../config/issues.js';

export type ReadPluginResult = { plugin: PluginManifest; issues: [] } | { plugin?: undefined; issues: ConfigIssue[]; missing?: boolean };

/** Loads `<dir>/plugin.yaml`; every problem is an issue (a missing file too, flagged `missing`). */
export async function loadPluginDir(dir: string, cwd = process.cwd()): Promise<ReadPluginResult> {
  const file = join(dir, PLUGIN_FILE);
  const display = relativePath(cwd, file);
  const text = await readUtf8(file, display);
  if (text === undefined) {
    return { issues: [{ message: `no ${PLUGIN_FILE} in the plugin folder ${escapeControls(relativePath(cwd, dir))}`, path: '', position: { file: display, line: 1, column: 1 } }], missing: true };
  }
  if (typeof text !== 'string') return { issues: [text] };
  let loaded = loadPluginText(text, dir, new Map(), { displayFile: display });
  if (loaded.envFilesWanted.length > 0) {
    const texts = new Map<string, string>();
    for (const path of loaded.envFilesWanted) {
      const envText = await readUtf8(path, path).catch(() => undefined);
      if (typeof envText === 'string') texts.set(path, envText);
      // A FIFO or /dev/zero named as an env file: said as such, not as "not found".
      else if (envText !== undefined) return { issues: [{ ...envText, message: envText.message.replace(/^the file /, `env file ${path} `) }] };
    }
    loaded = loadPluginText(text, dir, texts, { displayFile: display });
  }
  return loaded.plugin ? { plugin: loaded.plugin, issues: [] } : { issues: loaded.issues };
}

/** Loads a plugin folder or throws exit 5 with every issue of its plugin.yaml. */
export async function readPlugin(dir: string, cwd = process.cwd()): Promise<PluginManifest> {
  const result = await loadPluginDir(dir, cwd);
  if (result.plugin) return result.plugin;
  throw invalidConfig(result.issues[0]?.position?.file ?? PLUGIN_FILE, result.issues);
}

/**
 * Validates the plugin.yaml of every plugin service (asked by providers/plugin/module.ts), so `stack validate` catches a bad one and
 * nothing starts. A disabled service's folder may be gone (it needs no lifecycle then).
 */
export async function checkPluginFiles(services: readonly DesiredServiceOf<'plugin'>[], cwd = process.cwd()): Promise<void> {
  const issues: ConfigIssue[] = [];
  for (const service of services) {
    const unpinned = unpinnedIssue(service);
    if (unpinned) {
      issues.push(unpinned);
      continue;
    }
    // Loaded only for a git plugin: it needs node:crypto, which commands that only read never load.
    if (service.plugin.git && service.enabled) await (await import('./git-plugin.js')).fetchGitPlugin(service.name, service.plugin.git, service.plugin.dir);
    const result = await loadPluginDir(service.plugin.dir, cwd);
    if (result.plugin || (result.missing && !service.enabled)) continue;
    if (result.missing) {
      const message = `service "${service.name}": ${result.issues[0]?.message ?? `no ${PLUGIN_FILE}`}`;
      issues.push({ message, path: `services.${service.name}.plugin`, ...(service.position ? { position: service.position } : {}) });
    } else {
      issues.push(...result.issues);
    }
  }
  if (issues.length > 0) throw invalidConfig(issues[0]?.position?.file ?? PLUGIN_FILE, issues);
}

/**
 * A git plugin without `commit` is refused rather than fetched at whatever its branch is now:
 * what runs would then depend on when stack happened to look, and two machines could run
 * different code from one stack.yaml. `stack update` pins it (and loads without this check).
 */
function unpinnedIssue(service: DesiredServiceOf<'plugin'>): ConfigIssue | undefined {
  const git = service.plugin.git;
  if (!git || git.commit !== undefined || !service.enabled) return undefined;
  return {
    message: `service "${service.name}": its git plugin is not pinned to a commit`,
    path: `services.${service.name}.plugin.commit`,
    ...(service.position ? { position: service.position } : {}),
    hint: `run \`stack update ${service.name}\` to pin the newest commit of ${git.ref ?? 'its default branch'}`,
  };
}

/** The text; undefined when the file does not exist; an issue when it is too large or not UTF-8. */
async function readUtf8(file: string, display: string): Promise<string | ConfigIssue | undefined> {
  const at = { file: display, line: 1, column: 1 };
  const read = await readRegularFile(file, { maxBytes: MAX_STACK_FILE_BYTES }).catch((error: NodeJS.ErrnoException) => {
    throw new StackError(ExitCode.invalidConfig, `cannot read ${display}: ${error.code ?? error.message}`, { cause: error });
  });
  if (!read.ok && read.reason === 'missing') return undefined;
  if (!read.ok && read.reason === 'too-large') return { message: `the file is larger than 1 MiB${read.size === undefined ? '' : ` (${read.size} bytes)`}`, path: '', position: at };
  if (!read.ok) return { message: `the file is ${read.what}, not a regular file; stack reads only regular files`, path: '', position: at };
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
  } catch {
    return { message: 'the file is not valid UTF-8 text', path: '', position: at };
  }
}
