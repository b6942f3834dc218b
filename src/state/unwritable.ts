/** Writes that fail because of the disk, not of stack: said in words, and survived where they can be. */

import { ExitCode, StackError } from '../model/errors.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
};

/** Why a write failed, in words (`the disk is full (ENOSPC)`), when the disk is the cause; else undefined. */
export function unwritableReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  return reason === undefined ? undefined : `${reason} (${code})`;
}

/** A StackError saying `cannot <what>: the disk is full (ENOSPC)`, or the error as it came when the disk is not the cause. */
export function unwritableError(error: unknown, what: string): unknown {
  const reason = unwritableReason(error);
  if (reason === undefined) return error;
  return new StackError(ExitCode.actionFailed, `cannot ${what}: ${reason}`, { cause: error, hint: 'free some space or make .stack/ writable; the services stack started carry its marker, so the next run finds them' });
}

/** Whether `error` is one made by unwritableError. */
export function isUnwritable(error: unknown): boolean {
  return error instanceof StackError && unwritableReason(error.cause) !== undefined;
}
