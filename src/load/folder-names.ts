/**
 * The mark that makes a stack folder's global names its own (config/resolve.ts: compose projects
 * are `<folder name>-<mark>-<service>` unless `project:` is written), so two clones of one
 * project never share a compose project.
 *
 * Stacks applied before the mark existed keep their old names: `.stack/state.json` records
 * their compose projects under the old default (`<project>-<service>`), and renaming would
 * leave their containers running unmanaged and their volumes behind. Such a folder is noted in
 * `.stack/names.json` (`"compose": "project"`), so it keeps the old names after a `down` too;
 * removing that file (after `stack down --volumes`) moves it to the new ones.
 */

import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { hashString } from '../model/hash.js';
import { ensureOwnDir, readRegularFile } from '../os/safe-file.js';
import { writeFileAtomic } from '../os/write-atomic.js';

export const NAMES_FILE = 'names.json';

/** The folder's mark (`3f2a9c`), or undefined when it keeps the names of before. */
export async function folderIdOf(root: string): Promise<string | undefined> {
  const folder = await realpath(root).catch(() => root);
  const stateDir = join(root, '.stack');
  const kept = await readJson(join(stateDir, NAMES_FILE));
  if (isRecord(kept) && kept.folder === folder && kept.compose === 'project') return undefined;
  if (await recordsOldComposeNames(join(stateDir, 'state.json'))) {
    await keepOldNames(stateDir, folder);
    return undefined;
  }
  return markOf(folder);
}

/** Six hex digits of the folder's real path: short enough to read, one clash in millions. */
export function markOf(folder: string): string {
  return hashString(folder).slice(0, 6);
}

/** Whether state.json records a compose service under the old default project name. */
async function recordsOldComposeNames(stateFile: string): Promise<boolean> {
  const doc = await readJson(stateFile);
  if (!isRecord(doc) || typeof doc.project !== 'string' || !isRecord(doc.services)) return false;
  const project = doc.project;
  return Object.entries(doc.services).some(([name, record]) => isRecord(record) && isRecord(record.fields) && record.fields['compose.project'] === `${project}-${name}`);
}

async function keepOldNames(stateDir: string, folder: string): Promise<void> {
  try {
    await ensureOwnDir(stateDir);
    await writeFileAtomic(join(stateDir, NAMES_FILE), `${JSON.stringify({ formatVersion: 1, folder, compose: 'project' }, null, 2)}\n`, { mode: 0o600 });
  } catch {
    // The state file still says so on the next load, while it records them.
  }
}

async function readJson(file: string): Promise<unknown> {
  const read = await readRegularFile(file, { maxBytes: 64 * 1024 * 1024, noFollow: true }).catch(() => undefined);
  if (!read?.ok) return undefined;
  try {
    return JSON.parse(read.bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
