/**
 * Where the loader's cache (src/config/load.ts) is kept: one file per stack file in the user's
 * cache folder, `$XDG_CACHE_HOME/stack/parse/` (default `~/.cache/stack/parse/`), never in the
 * project, where a clone or an archive could bring one along. Best effort throughout: a cache
 * that cannot be read or written only means a full load.
 */

import { constants } from 'node:fs';
import { mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { hashString } from '../reconcile/hash.js';
import type { LoadCache } from '../config/load.js';
import type { LoadCacheStore } from '../config/read-stack.js';
import { writeFileAtomic } from '../write-atomic.js';

// Replaced by the bundler (scripts/build.mjs) with a digest of src/config and of the yaml and
// zod it was built with; absent when running from source, which then keeps no cache.
declare const STACK_LOADER_BUILD: string | undefined;

/** A file written by a newer or damaged writer is read no further than this. */
const MAX_CACHE_BYTES = 8 * 1024 * 1024;
/** Stack files remembered: the least recently written are removed beyond this. */
const MAX_CACHE_FILES = 64;

/** The cache of the stack file at the absolute path `stackFile`; undefined with no cache folder, or when running from source. */
export function parseCacheFor(stackFile: string, env: Readonly<Record<string, string | undefined>>): LoadCacheStore | undefined {
  const build = typeof STACK_LOADER_BUILD === 'string' ? STACK_LOADER_BUILD : undefined;
  const xdg = env.XDG_CACHE_HOME !== undefined && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  const home = xdg ?? (env.HOME ? join(env.HOME, '.cache') : undefined);
  if (build === undefined || home === undefined) return undefined;
  return parseCacheIn(join(home, 'stack', 'parse', `${hashString(stackFile)}.json`), build);
}

/** The cache kept in `file`; `build` names the loader that writes it: what another build wrote is ignored. */
export function parseCacheIn(file: string, build: string): LoadCacheStore {
  return { read: () => readParseCache(file, build), write: (value) => writeParseCache(file, build, value) };
}

async function readParseCache(file: string, build: string): Promise<LoadCache | undefined> {
  try {
    // O_NONBLOCK: a FIFO put in its place opens at once, and is then refused as not a file.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile() || info.size > MAX_CACHE_BYTES) return undefined;
      const saved = JSON.parse(await handle.readFile('utf8')) as Partial<LoadCache> & { build?: unknown };
      const usable = saved.build === build && typeof saved.text === 'string' && Array.isArray(saved.valid) && saved.valid.every((json) => typeof json === 'string') && typeof saved.parse === 'object' && saved.parse !== null;
      return usable ? { text: saved.text as string, parse: saved.parse as LoadCache['parse'], valid: saved.valid as string[] } : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function writeParseCache(file: string, build: string, value: LoadCache): Promise<void> {
  try {
    const dir = dirname(file);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, JSON.stringify({ build, ...value }), { mode: 0o600 });
    await forgetOldest(dir);
  } catch {
    // read-only home, full disk: the next load parses again
  }
}

async function forgetOldest(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  if (names.length <= MAX_CACHE_FILES) return;
  const written = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  written.sort((a, b) => a.at - b.at);
  await Promise.all(written.slice(0, written.length - MAX_CACHE_FILES).map(({ name }) => rm(join(dir, name), { force: true })));
}
