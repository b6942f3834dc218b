/** Replacing a file whole: readers see the old text or the new one, never half of it. */

import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `data` to a temp file beside `file` (created, never reused: `wx`), then renames it over
 * `file`. On failure the temp file is removed and the error thrown.
 */
export async function writeFileAtomic(file: string, data: string, options: { mode?: number } = {}): Promise<void> {
  const temp = `${file}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await writeFile(temp, data, { flag: 'wx', ...(options.mode === undefined ? {} : { mode: options.mode }) });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
