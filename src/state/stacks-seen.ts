/**
 * The stacks this user has applied on this machine, so `stack check` can say when two claim one
 * name or one fixed port (issue 31: copies of a stack side by side). One small file per stack
 * folder in `$XDG_STATE_HOME/stack/stacks/` (default `~/.local/state/stack/stacks/`), named by a
 * hash of the folder's path and written whole by that stack alone: no two writers share a file,
 * and no lock is needed. A folder that no longer holds its stack file is skipped (and its file
 * removed) when read. Best effort throughout: a registry that cannot be written only means
 * fewer warnings.
 */

import { mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Desired } from '../model/desired.js';
import { hashString } from '../model/hash.js';
import { readRegularFile } from '../os/safe-file.js';
import { writeFileAtomic } from '../os/write-atomic.js';

/** What one stack claims that is global on the machine. */
export interface SeenStack {
  /** Absolute path of its stack file. */
  file: string;
  /** Its project (boot units are named after it) and, when different, the name its compose projects start with. */
  names: string[];
  /** Its fixed ports: the list form, and the map form's fixed ones (auto ones are each copy's own). */
  ports: number[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The registry's folder, or undefined without a home to keep it in. */
export function stacksSeenDir(env: Env): string | undefined {
  const absolute = (path: string | undefined) => (path !== undefined && isAbsolute(path) ? path : undefined);
  const base = absolute(env.XDG_STATE_HOME) ?? (absolute(env.HOME) === undefined ? undefined : join(env.HOME as string, '.local', 'state'));
  return base === undefined ? undefined : join(base, 'stack', 'stacks');
}

/** What `desired` claims: its names and its fixed ports. */
export function claimsOf(desired: Desired): SeenStack {
  const names = [...new Set([desired.project, desired.instance ?? desired.project])];
  // An auto port is this copy's own: two copies never claim it both.
  const fixed = desired.services.filter((service) => service.enabled).flatMap((service) => service.ports.filter((spec) => spec.auto !== true).map((spec) => spec.port));
  return { file: desired.file, names, ports: [...new Set(fixed)].sort((a, b) => a - b) };
}

/** Notes that this stack was applied here, with what it claims now. */
export async function noteStackSeen(desired: Desired, env: Env): Promise<void> {
  const dir = stacksSeenDir(env);
  if (dir === undefined) return;
  const entry = claimsOf(desired);
  const file = join(dir, `${hashString(desired.file).slice(0, 16)}.json`);
  try {
    const text = `${JSON.stringify({ formatVersion: 1, ...entry }, null, 2)}\n`;
    const read = await readRegularFile(file, { maxBytes: 1024 * 1024, noFollow: true }).catch(() => undefined);
    if (read?.ok && read.bytes.toString('utf8') === text) return;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(file, text, { mode: 0o600 });
  } catch {
    // Fewer warnings from `stack check`, nothing more.
  }
}

/** Every other stack applied on this machine whose stack file still exists. */
export async function readStacksSeen(env: Env, except: string): Promise<SeenStack[]> {
  const dir = stacksSeenDir(env);
  if (dir === undefined) return [];
  const names = await readdir(dir).catch(() => [] as string[]);
  const seen: SeenStack[] = [];
  for (const name of names.filter((each) => each.endsWith('.json'))) {
    const read = await readRegularFile(join(dir, name), { maxBytes: 1024 * 1024, noFollow: true }).catch(() => undefined);
    const entry = read?.ok ? parseEntry(read.bytes.toString('utf8')) : undefined;
    if (!entry || entry.file === except) continue;
    if (!existsSync(entry.file)) {
      await rm(join(dir, name), { force: true }).catch(() => undefined);
      continue;
    }
    seen.push(entry);
  }
  return seen;
}

function parseEntry(text: string): SeenStack | undefined {
  try {
    const doc = JSON.parse(text) as Partial<SeenStack> & { formatVersion?: unknown };
    if (doc.formatVersion !== 1 || typeof doc.file !== 'string' || !Array.isArray(doc.names) || !Array.isArray(doc.ports)) return undefined;
    return { file: doc.file, names: doc.names.filter((each): each is string => typeof each === 'string'), ports: doc.ports.filter((each): each is number => Number.isInteger(each)) };
  } catch {
    return undefined;
  }
}
