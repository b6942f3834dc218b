/** The loader's I/O edge: reads stack.yaml and its env files, then hands the texts to the pure loader. */

import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { relativePath } from '../config/paths.js';
import { ExitCode, invalidConfig, StackError } from '../model/errors.js';
import type { ConfigIssue } from '../model/errors.js';
import type { LoadCache } from '../config/load-cache.js';
import { loadStackWith } from '../config/load-pipeline.js';
import type { Loaded, LoaderParts, LoadOptions } from '../config/load-pipeline.js';
import type { MissingVariable } from '../config/interpolate-document.js';
import type { FolderState } from '../config/folders.js';
import { MAX_STACK_FILE_BYTES } from '../config/limits.js';
import { readRegularFile } from '../os/safe-file.js';
import type { Desired } from '../model/desired.js';
import { escapeControls } from '../config/issues.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { allocatePorts } from './named-ports.js';
import { folderIdOf } from './folder-names.js';

export interface ReadStackOptions {
  /** The providers whose keys stack.yaml may use (src/providers/registry.ts lists them). */
  providers: ProviderCatalog;
  /** Positions name the file relative to this folder when that is shorter. Default: process.cwd(). */
  cwd?: string;
  /** The environment `${VAR}` interpolates from. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** `false` lists missing `${VAR:?}` variables instead of failing (for `stack check`). */
  requireVariables?: boolean;
  /** `false` leaves the files services name unchecked, plugin.yaml (`stack check` reports them one by one). Default: true. */
  checkPlugins?: boolean;
  /**
   * `false` leaves the services' working folders unjudged (`stack diff` compares files, not this
   * machine). Default: true: a `cwd` that does not exist is an issue like any other.
   */
  checkFolders?: boolean;
  /**
   * Where to keep what loading learnt (src/state/parse-cache.ts), so that the next load of the
   * same text skips parsing, and of the same document its validation.
   */
  cache?: LoadCacheStore;
  /** The file's text as proposed (not written yet): loaded as if `path` held it (`stack mcp`'s validate). */
  text?: string;
  /** `false` picks auto named ports in memory without keeping them in `.stack/ports.json`. Default: true. */
  keepPorts?: boolean;
  /** Only these of `.env`'s variables feed interpolation (`stack mcp`'s validate: those stack.yaml itself uses). Default: all. */
  dotEnvNames?: ReadonlySet<string>;
  /**
   * Called with the env files and working folders the text names before any is read or looked
   * at; a throw ends the load (`stack mcp`'s validate refuses those outside the stack folder).
   */
  beforeReading?: (paths: readonly string[]) => Promise<void>;
}

export interface LoadCacheStore {
  /** What was saved; undefined when nothing (usable) was. */
  read(): Promise<LoadCache | undefined>;
  /** Best effort: never throws. */
  write(value: LoadCache): Promise<void>;
  /** Removes what was saved. Best effort: never throws. */
  forget(): Promise<void>;
  /**
   * Present: the load hands its update of the cache (made and written when called) here and
   * returns without it, for the store to carry out later (state/parse-cache.ts's laterCache).
   */
  later?(update: () => Promise<void>): void;
}

/**
 * Loads the stack file at the absolute path `file`.
 * Throws `invalidConfig` (exit 5) listing every issue, sorted by position, when it is not valid.
 */
export async function readStack(path: string, options: ReadStackOptions): Promise<Desired> {
  return (await readStackDetailed(path, options)).desired;
}

/**
 * What a load read, so that a later look can tell it would read the same: each file as stat
 * found it just before it was read (`missing` when it was not there), each working folder as it
 * was found. Not `settled` when the load also read what a look at files cannot vouch for (the
 * ports named `auto` took, a provider's files such as a plugin's or the accounts, the names kept
 * for compose projects, a text given instead of the file). The environment is the caller's to
 * hold constant.
 */
export interface StackInputs {
  files: ReadonlyMap<string, string>;
  folders: ReadonlyMap<string, FolderState | 'unknown'>;
  settled: boolean;
}

/** `readStack`, also returning the required variables that are not set (with `requireVariables: false`) and what it read. */
export async function readStackDetailed(
  path: string,
  options: ReadStackOptions,
): Promise<{ desired: Desired; missingVariables: MissingVariable[]; inputs: StackInputs }> {
  const file = resolve(path);
  const display = relativePath(options.cwd ?? process.cwd(), file);
  const files = new Map<string, string>();
  const folderStates = new Map<string, FolderState | 'unknown'>();
  let settled = options.text === undefined;
  // Looked at before each read: a change after the look makes the next look differ, never the reverse.
  const lookAt = async (paths: readonly string[]): Promise<void> => {
    for (const [path, signature] of await Promise.all(paths.map(async (each) => [each, await signatureOf(each)] as const))) files.set(path, signature);
  };
  if (options.text === undefined) await lookAt([file]);
  const text = options.text ?? (await readText(file, display, MAX_STACK_FILE_BYTES));
  if (typeof text !== 'string') throw invalidConfig(display, [text]);

  // Like compose, `.env` beside the file feeds interpolation (the caller's environment wins).
  const dotEnv = join(dirname(file), '.env');
  await lookAt([dotEnv]);
  const dotEnvText = (await readEnvFiles([dotEnv])).values().next().value;
  // Only a stack that names compose has names global on the machine (compose projects) to mark.
  const folderId = text.includes('compose') ? await folderIdOf(dirname(file)) : undefined;
  if (text.includes('compose')) settled = false;
  const loadOptions: LoadOptions = {
    providers: options.providers,
    ...(folderId === undefined ? {} : { folderId }),
    displayFile: display,
    env: options.env ?? process.env,
    requireVariables: options.requireVariables,
    ...(dotEnvText === undefined ? {} : { dotEnvText }),
    ...(options.dotEnvNames === undefined ? {} : { dotEnvNames: options.dotEnvNames }),
  };
  // yaml and zod are loaded when the pipeline needs them: a load from the cache needs neither.
  // A text the cache does not hold needs both, so they are loaded before it is parsed once.
  const parts: LoaderParts = {};
  const loadParts = async (): Promise<void> => {
    parts.parse = (await import('../config/parse.js')).parseStackText;
    parts.validate = (await import('../config/validate.js')).validateStack;
  };
  const load = async (envFileTexts: ReadonlyMap<string, string>, withCache: LoadOptions): Promise<Loaded> => {
    if (withCache.cache?.saved?.text !== text) await loadParts();
    for (;;) {
      const result = loadStackWith(parts, text, file, envFileTexts, withCache);
      if (!('needs' in result)) return result;
      await loadParts();
    }
  };
  const later = options.cache?.later !== undefined;
  const loadAll = async (cache: { saved?: LoadCache } | undefined): Promise<Loaded> => {
    let withCache: LoadOptions = cache ? { ...loadOptions, cache: later ? { ...cache, later } : cache } : loadOptions;
    let first = await load(new Map(), withCache);
    if (first.needsPorts) {
      settled = false;
      // Named ports asked `auto`: this folder's ports, picked once and kept in `.stack/`.
      const allocated = await allocatePorts(dirname(file), first.portsWanted, { write: options.keepPorts !== false });
      portNotes = allocated.notes;
      withCache = { ...withCache, ports: allocated.allocation };
      first = await load(new Map(), withCache);
    }
    const folders = options.checkFolders === false ? [] : first.foldersWanted;
    if (first.envFilesWanted.length === 0 && folders.length === 0) return first;
    await options.beforeReading?.([...first.envFilesWanted, ...folders]);
    await lookAt(first.envFilesWanted);
    const [texts, found] = await Promise.all([readEnvFiles(first.envFilesWanted), lookAtFolders(folders)]);
    for (const folder of folders) folderStates.set(folder, found.get(folder) ?? 'unknown');
    return load(texts, found.size === 0 ? withCache : { ...withCache, folders: found });
  };
  let loaded: Loaded;
  let portNotes: string[] = [];
  const saved = await options.cache?.read();
  // Only a saved parse of this very text is used, and only such a load is ever done again.
  const fromSaved = saved?.text === text;
  try {
    loaded = await loadAll(options.cache ? { saved } : undefined);
  } catch (error) {
    if (!fromSaved) throw error;
    loaded = await loadAll({});
  }
  // Issues are always those of the text itself, never of a saved parse (edited by hand, say).
  if (fromSaved && loaded.issues.length > 0) loaded = await loadAll({});
  const store = options.cache;
  if (store && loaded.cache) await ('save' in loaded.cache ? store.write(loaded.cache.save) : store.forget());
  const cacheLater = loaded.cacheLater;
  if (store?.later && cacheLater) {
    store.later(async () => {
      const update = cacheLater();
      if (update) await ('save' in update ? store.write(update.save) : store.forget());
    });
  }
  if (!loaded.desired || loaded.issues.length > 0) throw invalidConfig(display, loaded.issues);
  if (options.checkPlugins !== false && (await checkProviderFiles(loaded.desired, options.providers, options.cwd ?? process.cwd()))) settled = false;
  const desired = portNotes.length === 0 ? loaded.desired : { ...loaded.desired, portNotes };
  return { desired, missingVariables: loaded.missingVariables, inputs: { files, folders: folderStates, settled } };
}

/** Whether a load now would read what the one that gave `inputs` read (false when that one was not settled). */
export async function sameInputs(inputs: StackInputs): Promise<boolean> {
  if (!inputs.settled) return false;
  const files = await Promise.all([...inputs.files].map(async ([path, signature]) => (await signatureOf(path)) === signature));
  if (files.includes(false)) return false;
  const found = await lookAtFolders([...inputs.folders.keys()]);
  return [...inputs.folders].every(([path, state]) => (found.get(path) ?? 'unknown') === state);
}

/** A file as stat finds it (through a link): device, inode, mode, size, and the times of its last change to the nanosecond. */
async function signatureOf(path: string): Promise<string> {
  const info = await stat(path, { bigint: true }).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) return info.code === 'ENOENT' || info.code === 'ENOTDIR' ? 'missing' : `error ${info.code ?? info.message}`;
  return `${info.dev}:${info.ino}:${info.mode}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
}

/** Each provider checks the files its services name (a plugin's plugin.yaml); one with no service is not asked. True when one read any. */
async function checkProviderFiles(desired: Desired, providers: ProviderCatalog, cwd: string): Promise<boolean> {
  let read = false;
  for (const module of providers) {
    const services = desired.services.filter((service) => service.provider === module.name);
    if (module.checkFiles && services.length > 0 && (await module.checkFiles(services, cwd))) read = true;
  }
  return read;
}

/**
 * The text, or an issue when the file is too large, not a regular file (a FIFO would hang the
 * read, /dev/zero never end) or not UTF-8: a crash would hide which file. The size is counted
 * while reading, not taken from stat, which says 0 for /proc files and a growing file.
 */
async function readText(file: string, display: string, maxBytes: number, kind: FileKind = 'stack file'): Promise<string | ConfigIssue> {
  const at = { file: display, line: 1, column: 1 };
  const read = await readRegularFile(file, { maxBytes }).catch((error: NodeJS.ErrnoException) => {
    throw unreadable(kind, file, error);
  });
  if (!read.ok && read.reason === 'missing') throw new StackError(ExitCode.noStackFile, `${kind} ${escapeControls(file)} not found`);
  if (!read.ok && read.reason === 'too-large') return { message: `the file is larger than 1 MiB (${read.size === undefined ? 'more bytes than that read' : `${read.size} bytes`})`, path: '', position: at };
  if (!read.ok && read.what === 'a directory') {
    if (kind === 'stack file') throw new StackError(ExitCode.noStackFile, `cannot read stack file ${file}: it is a directory`);
    return { message: 'the file is a directory', path: '', position: at };
  }
  if (!read.ok) return { message: `the file is ${read.what}, not a regular file; stack reads only regular files`, path: '', position: at };
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(read.bytes);
  } catch {
    return { message: 'the file is not valid UTF-8 text', path: '', position: at };
  }
}

type FileKind = 'stack file' | 'env file';

/** A file that exists but cannot be read: exit 3 for the stack file, 5 for a file it names. */
function unreadable(kind: FileKind, file: string, error: NodeJS.ErrnoException): StackError {
  const why = error.code === 'EACCES' || error.code === 'EPERM' ? 'permission denied' : error.code === 'EISDIR' ? 'it is a directory' : (error.code ?? error.message);
  return new StackError(kind === 'stack file' ? ExitCode.noStackFile : ExitCode.invalidConfig, `cannot read ${kind} ${escapeControls(file)}: ${why}`, { cause: error });
}

/** What is at each path: the pure loader reports a `cwd` missing, beside the file's other issues. */
async function lookAtFolders(paths: readonly string[]): Promise<Map<string, FolderState>> {
  const found = new Map<string, FolderState>();
  await Promise.all(
    paths.map(async (path) => {
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
      if (!(info instanceof Error)) found.set(path, info.isDirectory() ? 'folder' : 'not-a-folder');
      // Another error (a parent folder not searchable) is left for the start to report as it is.
      else if (info.code === 'ENOENT' || info.code === 'ENOTDIR') found.set(path, 'missing');
    }),
  );
  return found;
}

// A missing env file is left out of the map; the loader reports it where it is named. One that
// exists but cannot be read is an error of its own, saying why.
async function readEnvFiles(paths: readonly string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  const read = await Promise.allSettled(paths.map((path) => readText(path, path, MAX_STACK_FILE_BYTES, 'env file')));
  // Reported in the order the files are named, every one that cannot be read.
  const problems: string[] = [];
  read.forEach((result, index) => {
    const path = paths[index] as string;
    if (result.status === 'fulfilled') {
      const text = result.value;
      if (typeof text === 'string') texts.set(path, text);
      else problems.push(`cannot read env file ${escapeControls(path)}: ${text.message.replace(/^the file /, 'it ')}`);
    } else if (!(result.reason instanceof StackError && result.reason.code === ExitCode.noStackFile)) problems.push((result.reason as Error).message);
  });
  if (problems.length > 0) throw new StackError(ExitCode.invalidConfig, problems.join('\n'));
  return texts;
}
