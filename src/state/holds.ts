import { resolve } from 'node:path';

/**
 * This process's holds of lock files: a new token each time it takes one, gone when it lets go.
 * A token tells whether two moments fall within one hold, during which no other stack process
 * can have acted on the stack.
 */
const holds = new Map<string, symbol>();

export function beginHold(lockFile: string): void {
  holds.set(resolve(lockFile), Symbol('hold'));
}

export function endHold(lockFile: string): void {
  holds.delete(resolve(lockFile));
}

/** The token of the hold this process has of `lockFile` now, if any. */
export function currentHold(lockFile: string): symbol | undefined {
  return holds.get(resolve(lockFile));
}
