import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { FilesDigest } from '../../model/provider.js';

// Never inputs: stack's own folder and version control's.
const SKIPPED = new Set(['.git', '.stack', 'node_modules']);

/**
 * A digest of the files a task's `inputs:` globs match (relative to stack.yaml's folder), each
 * by path and content, with the digest of each file so a plan names what changed. Only the
 * globs' fixed folders are walked (`db/migrations/**` walks db/migrations), in sorted order.
 */
export async function digestInputs(root: string, globs: readonly string[]): Promise<FilesDigest> {
  const matches = picomatch([...globs], { dot: true });
  const bases = [...new Set(globs.map((glob) => picomatch.scan(glob).base.replace(/^\.\/?/, '')))].sort();
  const found = new Set<string>();
  for (const base of bases) await walk(root, base, matches, found);
  const hash = createHash('sha256');
  const files: Record<string, string> = {};
  for (const relative of [...found].sort()) {
    const fileHash = createHash('sha256').update(await readFile(join(root, relative))).digest('hex');
    hash.update(`${relative}\0${fileHash}\n`);
    files[relative] = fileHash.slice(0, 16);
  }
  return { digest: hash.digest('hex').slice(0, 26), files };
}

async function walk(root: string, prefix: string, matches: (path: string) => boolean, found: Set<string>): Promise<void> {
  const entries = await readdir(join(root, prefix), { withFileTypes: true }).catch(() => undefined);
  if (!entries) {
    // A glob that names one file (`schema.sql`) has that file as its base: an input once it is there.
    if (prefix !== '' && matches(prefix) && (await stat(join(root, prefix)).then((info) => info.isFile(), () => false))) found.add(prefix);
    return;
  }
  for (const entry of entries) {
    if (SKIPPED.has(entry.name)) continue;
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) await walk(root, relative, matches, found);
    else if (entry.isFile() && matches(relative)) found.add(relative);
  }
}
