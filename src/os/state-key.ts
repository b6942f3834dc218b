/**
 * The key that names one state folder (`.stack/`) on this machine: every process stack starts
 * carries it in `STACK_SERVICE_ID=<key>/<service>` (state/service-marker.ts). Here, below the
 * loader, so that it can tell a stack's own processes from others too (load/named-ports.ts).
 */

import { realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hashString } from '../model/hash.js';

const stateKeys = new Map<string, string>();

// The same folder reached through a symlink is the same stack: its processes carry one key.
function canonical(stateDir: string): string {
  const absolute = resolve(stateDir);
  try {
    return realpathSync.native(absolute);
  } catch {
    // Not made yet: its parent (the folder of stack.yaml) exists.
    try {
      return join(realpathSync.native(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/**
 * Names one state folder on this machine (its real path, hashed: paths may hold anything).
 * The spec hash function, not node:crypto: loading that cost `stack status` ~8 ms.
 */
export function stateKeyOf(stateDir: string): string {
  let key = stateKeys.get(stateDir);
  if (key === undefined) {
    key = hashString(canonical(stateDir)).slice(0, 16);
    stateKeys.set(stateDir, key);
  }
  return key;
}

/**
 * The keys a process of this folder may carry: its own, and the one of the path it was reached
 * by, which stack versions before the real path was used gave (processes started through a
 * symlink before an upgrade are still found).
 */
export function stateKeysOf(stateDir: string): string[] {
  const byPath = hashString(resolve(stateDir)).slice(0, 16);
  const key = stateKeyOf(stateDir);
  return byPath === key ? [key] : [key, byPath];
}
