import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * Rewrites stack.yaml through `edit` (text → text), atomically: a temp file beside it, then a
 * rename, so a crash never leaves half a file.
 */
export async function editStackFile(file: string, edit: (text: string) => string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = edit(before);
  if (after === before) return;
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, after, { flag: 'wx' });
  await rename(temp, file);
}
