/** Which files of the repository a stack reads, so `stack sync` knows when a pull concerns it. */

import { dirname, join } from 'node:path';
import type { Desired } from '../model/desired.js';

export interface StackFiles {
  /** Absolute paths of single files. */
  files: string[];
  /** Absolute folders: anything under them counts. */
  folders: string[];
}

/**
 * stack.yaml, the `.env` beside it, every env file, each compose file's folder (of compose and
 * swarm services: the compose file's own env files live there) and each plugin folder. Erring
 * wide costs only an apply that finds nothing to do.
 */
export function stackFilesOf(desired: Desired): StackFiles {
  const files = new Set([desired.file, join(desired.root, '.env')]);
  const folders = new Set<string>();
  for (const service of desired.services) {
    for (const file of [...(service.process?.envFiles ?? []), ...(service.plugin?.envFiles ?? [])]) files.add(file);
    if (service.compose) folders.add(dirname(service.compose.file));
    if (service.swarm) folders.add(dirname(service.swarm.file));
    if (service.plugin) folders.add(service.plugin.dir);
  }
  return { files: [...files], folders: [...folders] };
}

/** The changed paths (absolute) that belong to the stack. */
export function touchedStackFiles(changed: readonly string[], stacks: readonly StackFiles[]): string[] {
  return changed.filter((path) =>
    stacks.some((stack) => stack.files.includes(path) || stack.folders.some((folder) => path === folder || path.startsWith(`${folder}/`))),
  );
}
