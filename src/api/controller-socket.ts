import { lstatSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { findStackFile } from '../load/find-stack.js';
import type { LockOwner } from '../state/lock-owner.js';
import { statePaths } from '../state/paths.js';
import type { FindOptions } from './stack-file.js';

export { describeOwner, type LockOwner } from '../state/lock-owner.js';
// One GET over the controller's socket, in HTTP/1.0 (the fast `status` asks with it; compose asks the docker engine).
export { getOverUnixSocket, parseHttpAnswer, type UnixHttpAnswer } from '../os/unix-http.js';

/** Where a controller of a stack answers, and the lock that names it. */
export interface ControllerPaths {
  socket: string;
  lockFile: string;
}

/**
 * The paths of the controller of the stack file `stack` would use (docs/api.md), found as
 * `findStack` finds it, nothing read. Free of the loader (yaml, zod, providers) so the CLI's
 * fast `status` (cli/fast-status.ts) asks before loading anything. Throws as `findStack`.
 */
export function controllerPathsOf(options: FindOptions = {}): ControllerPaths {
  const file = findStackFile({ cwd: options.cwd ?? process.cwd(), explicit: options.file, env: options.env ?? process.env });
  const paths = statePaths(dirname(file));
  return { socket: paths.apiSocket, lockFile: paths.lockFile };
}

/**
 * `.stack/lock` as recorded, or `undefined` when it is not a plain file or does not parse. No
 * liveness check: for a controller that just answered, whose pid the caller compares.
 */
export function recordedLockOwner(lockFile: string): LockOwner | undefined {
  try {
    if (!lstatSync(lockFile).isFile()) return undefined;
    const owner = JSON.parse(readFileSync(lockFile, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.command === 'string' && typeof owner.since === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}
