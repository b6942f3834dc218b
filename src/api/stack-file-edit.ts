import { chmod, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';

/**
 * Rewrites stack.yaml through `edit` (text → text), atomically: a temp file beside it, then a
 * rename, so a crash never leaves half a file. A symlinked stack.yaml is edited where it
 * points, and the file keeps its mode.
 */
export async function editStackFile(file: string, edit: (text: string) => string): Promise<void> {
  const target = await realpath(file);
  const before = await readFile(target, 'utf8');
  const after = edit(before);
  if (after === before) return;
  const { mode } = await stat(target);
  // Loaded when called: node:crypto costs every command that could edit (all of api.ts's users) ~4 ms to load.
  const { randomBytes } = await import('node:crypto');
  const temp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, after, { flag: 'wx', mode: mode & 0o777 });
  await chmod(temp, mode & 0o777);
  await rename(temp, target);
}
