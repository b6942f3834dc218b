/**
 * Where the loader's cache (src/config/load-cache.ts) is kept: one file per stack file in the
 * user's cache folder, `$XDG_CACHE_HOME/stack/parse/` (default `~/.cache/stack/parse/`), never in
 * the project, where a clone or an archive could bring one along. What is read must be the
 * user's own: a file or folder another user owns, or could write, is not trusted (its parse would
 * become the commands stack runs). Best effort throughout: a cache that cannot be read or written
 * only means a full load.
 */

import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { LoadCache } from '../config/load-cache.js';
import type { LoadCacheStore } from '../load/read-stack.js';
import { hashString } from '../reconcile/hash.js';
import { writeFileAtomic } from '../os/write-atomic.js';

// Replaced by the bundler (scripts/build.mjs) with a digest of src/config and of the yaml and
// zod it was built with; absent when running from source, which then keeps no cache.
declare const STACK_LOADER_BUILD: string | undefined;

/** A file written by a newer or damaged writer is read no further than this. */
const MAX_CACHE_BYTES = 8 * 1024 * 1024;
/** Stack files remembered: the least recently written are removed beyond this. */
const MAX_CACHE_FILES = 64;
/** A temp file this old was left by a writer that died. */
const STALE_TEMP_MS = 10 * 60 * 1000;

/** The cache of the stack file at the absolute path `stackFile`; undefined with no cache folder, or when running from source. */
export function parseCacheFor(stackFile: string, env: Readonly<Record<string, string | undefined>>): LoadCacheStore | undefined {
  const build = typeof STACK_LOADER_BUILD === 'string' ? STACK_LOADER_BUILD : undefined;
  const absolute = (path: string | undefined) => (path !== undefined && isAbsolute(path) ? path : undefined);
  const home = absolute(env.XDG_CACHE_HOME) ?? (absolute(env.HOME) === undefined ? undefined : join(env.HOME as string, '.cache'));
  if (build === undefined || home === undefined) return undefined;
  return parseCacheIn(join(home, 'stack', 'parse', `${hashString(stackFile)}.json`), build);
}

/** The cache kept in `file`; `build` names the loader that writes it: what another build wrote is ignored. */
export function parseCacheIn(file: string, build: string): LoadCacheStore {
  return {
    read: () => readParseCache(file, build),
    write: (value) => writeParseCache(file, build, value),
    forget: () => rm(file, { force: true }).catch(() => undefined),
  };
}

/** Ours alone: owned by this user, writable by no one else. */
function isOurs(info: Stats): boolean {
  const uid = process.geteuid?.();
  return (uid === undefined || info.uid === uid) && (info.mode & 0o022) === 0;
}

async function isOurFolder(dir: string): Promise<boolean> {
  const info = await lstat(dir);
  return info.isDirectory() && isOurs(info);
}

async function readParseCache(file: string, build: string): Promise<LoadCache | undefined> {
  try {
    if (!(await isOurFolder(dirname(file)))) return undefined;
    // O_NOFOLLOW: the cache is a file, not a link to one; O_NONBLOCK: a FIFO put there opens at
    // once, and is then refused as not a file.
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    try {
      const info = await handle.stat();
      if (!info.isFile() || !isOurs(info) || info.size > MAX_CACHE_BYTES) return undefined;
      const saved = JSON.parse(await handle.readFile('utf8')) as Partial<LoadCache> & { build?: unknown };
      const usable =
        saved.build === build &&
        typeof saved.text === 'string' &&
        Array.isArray(saved.valid) &&
        saved.valid.every((json) => typeof json === 'string') &&
        typeof saved.parse === 'object' &&
        saved.parse !== null;
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
    if (!(await isOurFolder(dir))) return;
    await writeFileAtomic(file, JSON.stringify({ build, ...value }), { mode: 0o600 });
    await forgetOldest(dir);
  } catch {
    // read-only home, full disk: the next load parses again
  }
}

async function forgetOldest(dir: string): Promise<void> {
  const names = await readdir(dir);
  const now = Date.now();
  const written = await Promise.all(names.map(async (name) => ({ name, at: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  const stale = written.filter(({ name, at }) => name.endsWith('.tmp') && now - at > STALE_TEMP_MS);
  const caches = written.filter(({ name }) => name.endsWith('.json')).sort((a, b) => a.at - b.at);
  const old = caches.slice(0, Math.max(0, caches.length - MAX_CACHE_FILES));
  await Promise.all([...stale, ...old].map(({ name }) => rm(join(dir, name), { force: true })));
}

/**
 * `store`, for a long-running process: a load hands its update of the cache (the snapshot of a
 * new text's parse, its secret checks, the write) to be done `delayMs` later, off the way from
 * a saved stack.yaml to its services started (~100 ms of that with 1,000 services); a later
 * update replaces one not done yet. A read first does the one waiting, so a load soon after
 * still finds the text it read.
 */
export function laterCache(store: LoadCacheStore, delayMs: number): LoadCacheStore & Required<Pick<LoadCacheStore, 'later'>> {
  let waiting: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const now = async (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    const update = waiting;
    waiting = undefined;
    await update?.().catch(() => undefined);
  };
  return {
    read: async () => {
      await now();
      return store.read();
    },
    write: (value) => store.write(value),
    forget: () => store.forget(),
    later(update) {
      waiting = update;
      clearTimeout(timer);
      timer = setTimeout(() => void now(), delayMs);
      timer.unref();
    },
  };
}
