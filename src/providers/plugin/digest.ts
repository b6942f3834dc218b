import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { FilesDigest } from '../../model/provider.js';

export interface PluginDigestOptions {
  /** Globs (relative paths) left out; a glob matching a folder skips all of it. */
  ignore: readonly string[];
  /** Leave out what the folder's `.gitignore` files ignore (plugin.yaml's `gitignore`, default true). */
  gitignore: boolean;
}

/**
 * A digest of every file in a plugin folder (path, content and executable bit), except `.git`,
 * what the `ignore` globs match and what a `.gitignore` in the folder (or below) ignores, with
 * the digest of each file, so a plan can name the files that changed. Symbolic links count by
 * their target, never followed, so a link cannot pull in the world.
 */
export async function digestPluginFiles(dir: string, options: PluginDigestOptions): Promise<FilesDigest> {
  const globs = options.ignore.length > 0 ? picomatch([...options.ignore], { dot: true }) : () => false;
  const walk: Walk = { root: dir, globs, gitignore: options.gitignore, files: [] };
  await listFiles(walk, '', []);
  const hash = createHash('sha256');
  const files: Record<string, string> = {};
  for (const relative of walk.files) {
    const full = join(dir, relative);
    const info = await lstat(full);
    const content = info.isSymbolicLink() ? `link:${await readlink(full)}` : await readFile(full);
    const fileHash = createHash('sha256').update(content).digest('hex');
    const mode = info.mode & 0o111 ? 'x' : '-';
    hash.update(`${relative}\0${mode}\0${fileHash}\n`);
    files[relative] = `${mode}${fileHash.slice(0, 16)}`;
  }
  return { digest: hash.digest('hex').slice(0, 26), files };
}

interface Walk {
  root: string;
  globs: (path: string) => boolean;
  gitignore: boolean;
  /** Relative paths found so far, in the sorted order of the walk. */
  files: string[];
}

/** A folder's `.gitignore` rules, with the folder they are relative to. */
interface Rules {
  base: string;
  rules: Ignore;
}

/** Walks below `prefix` in sorted order, so the digest does not depend on readdir's order. */
async function listFiles(walk: Walk, prefix: string, inherited: readonly Rules[]): Promise<void> {
  const entries = await readdir(join(walk.root, prefix), { withFileTypes: true });
  const names = new Set(entries.map((entry) => entry.name));
  const rules = walk.gitignore && names.has('.gitignore') ? [...inherited, await rulesOf(walk.root, prefix)] : inherited;
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const folder = entry.isDirectory();
    if (entry.name === '.git' || walk.globs(relative) || (folder && walk.globs(`${relative}/`)) || gitIgnored(rules, relative, folder)) continue;
    if (folder) await listFiles(walk, relative, rules);
    else if (entry.isFile() || entry.isSymbolicLink()) walk.files.push(relative);
  }
}

async function rulesOf(root: string, prefix: string): Promise<Rules> {
  const text = await readFile(join(root, prefix, '.gitignore'), 'utf8').catch(() => '');
  return { base: prefix, rules: ignore().add(text) };
}

// As git: the deepest .gitignore that says anything of a path decides (a `!pattern` below
// takes back what a folder above ignored). An ignored folder is not entered at all.
function gitIgnored(rules: readonly Rules[], relative: string, folder: boolean): boolean {
  let ignored = false;
  for (const { base, rules: set } of rules) {
    const path = (base === '' ? relative : relative.slice(base.length + 1)) + (folder ? '/' : '');
    const verdict = set.test(path);
    if (verdict.ignored) ignored = true;
    else if (verdict.unignored) ignored = false;
  }
  return ignored;
}
