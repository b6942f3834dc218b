import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';

/**
 * A digest of every file in a plugin folder (path, content and executable bit), except `.git`
 * and what the `ignore` globs match (relative paths; a glob matching a folder skips all of it).
 * Symbolic links count by their target, never followed, so a link cannot pull in the world.
 */
export async function digestPluginFiles(dir: string, ignore: readonly string[]): Promise<string> {
  const ignored = ignore.length > 0 ? picomatch([...ignore], { dot: true }) : () => false;
  const hash = createHash('sha256');
  for (const relative of await listFiles(dir, '', ignored)) {
    const full = join(dir, relative);
    const info = await lstat(full);
    const content = info.isSymbolicLink() ? `link:${await readlink(full)}` : await readFile(full);
    const fileHash = createHash('sha256').update(content).digest('hex');
    hash.update(`${relative}\0${info.mode & 0o111 ? 'x' : '-'}\0${fileHash}\n`);
  }
  return hash.digest('hex').slice(0, 26);
}

/** Relative paths of the files below `dir`, sorted, so the digest does not depend on readdir's order. */
async function listFiles(root: string, prefix: string, ignored: (path: string) => boolean): Promise<string[]> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.name === '.git' || ignored(relative) || (entry.isDirectory() && ignored(`${relative}/`))) continue;
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative, ignored)));
    else if (entry.isFile() || entry.isSymbolicLink()) files.push(relative);
  }
  return files;
}
