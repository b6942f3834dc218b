/**
 * Working folders (`cwd:`) that must exist before anything starts. Pure: the reading step
 * (load/read-stack.ts) looks at the folders `listFolders` names and passes what it found to
 * `checkFolders`, which reports the ones that are missing with the file's other issues.
 */

import type { ConfigIssue } from '../model/errors.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { escapeControls, issueAt } from './issues.js';
import type { KeyPath, Locate } from './issues.js';
import { resolvePath } from './paths.js';
import { asRecord } from './service-rules.js';

/** What the reading step found at a folder's path. */
export type FolderState = 'folder' | 'missing' | 'not-a-folder';

/**
 * The `cwd` of each service that can start (and the folders its provider's module names, such
 * as `exec.cwd`), absolute, from a (possibly invalid) document. A disabled service never
 * starts, so its folder may be gone; a path with a NUL names no folder.
 */
function declaredFolders(document: unknown, root: string, providers: ProviderCatalog): { path: KeyPath; declared: string; absolute: string }[] {
  const services = asRecord(asRecord(document)?.services) ?? {};
  return Object.entries(services).flatMap(([name, value]) => {
    const service = asRecord(value);
    if (!service || service.enabled === false) return [];
    const own = providers.flatMap((module) => (module.folders && service[module.key] !== undefined ? module.folders(service) : []));
    return [{ path: ['cwd'] as KeyPath, declared: service.cwd }, ...own].flatMap(({ path, declared }) =>
      typeof declared !== 'string' || declared === '' || declared.includes('\0') ? [] : [{ path: ['services', name, ...path], declared, absolute: resolvePath(root, declared) }],
    );
  });
}

/** Absolute paths of the folders to look at, without duplicates. */
export function listFolders(document: unknown, root: string, providers: ProviderCatalog): string[] {
  return [...new Set(declaredFolders(document, root, providers).map((entry) => entry.absolute))];
}

/** A `cwd` that `folders` found missing or not a folder; one it has no word on is not judged. */
export function checkFolders(document: unknown, root: string, folders: ReadonlyMap<string, FolderState>, locate: Locate, providers: ProviderCatalog): ConfigIssue[] {
  return declaredFolders(document, root, providers).flatMap(({ path, declared, absolute }) => {
    const state = folders.get(absolute);
    if (state === undefined || state === 'folder') return [];
    const what = state === 'missing' ? 'does not exist' : 'is not a folder';
    return [issueAt(locate, path, `working folder ${escapeControls(declared)} ${what}`, `looked for ${escapeControls(absolute)}; create it, or fix ${path.slice(2).join('.')}`)];
  });
}
