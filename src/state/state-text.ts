/** Reading `.stack/state.json` and `.stack/lock` as files: only regular ones, never through a link. */

import { dirname } from 'node:path';
import { assertOwnDir, readRegularFile, unsafeFileError } from '../os/safe-file.js';

/** Larger is not a state file stack wrote (4,000 services take ~2 MB). */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

/**
 * The state file's text; undefined when there is none. Read only from a real `.stack/` folder
 * and a regular file: a link would print the start of its target in the parse error.
 */
export async function readStateText(file: string): Promise<string | { problem: string } | undefined> {
  if ((await assertOwnDir(dirname(file))) === 'missing') return undefined;
  const read = await readRegularFile(file, { maxBytes: MAX_STATE_BYTES, noFollow: true });
  if (read.ok) return read.bytes.toString('utf8');
  if (read.reason === 'missing') return undefined;
  if (read.reason === 'not-regular') throw unsafeFileError(file, read.what);
  return { problem: `is larger than ${MAX_STATE_BYTES / 1024 / 1024} MiB` };
}

/** Whether this process holds the lock: its pid is the one the lock file records. */
export async function holdsLock(lockFile: string): Promise<boolean> {
  try {
    const read = await readRegularFile(lockFile, { maxBytes: 64 * 1024, noFollow: true });
    return read.ok && (JSON.parse(read.bytes.toString('utf8')) as { pid?: unknown }).pid === process.pid;
  } catch {
    return false;
  }
}
