/**
 * Which files of a service changed since it was applied (plugins record a digest per file), so a
 * plan says `plugin.files (changed start.sh)` rather than two hashes. Pure.
 */

import type { FieldChange, FileChanges } from '../model/plan.js';

/** The spec fields that hold a digest of the service's files. */
const FILES_FIELDS = new Set(['plugin.files', 'files']);
/** Files named in a reason before `and N more`. */
const MAX_NAMED_FILES = 5;

/** Added, changed and removed paths between two per-file digests, each list sorted. */
export function fileChanges(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): FileChanges {
  const changes: FileChanges = { added: [], changed: [], removed: [] };
  for (const path of Object.keys(after).sort()) {
    if (!(path in before)) changes.added.push(path);
    else if (before[path] !== after[path]) changes.changed.push(path);
  }
  for (const path of Object.keys(before).sort()) if (!(path in after)) changes.removed.push(path);
  return changes;
}

/**
 * The files-digest change of `changes`, when both sides know their files, told by file instead
 * of by hash. Without a recorded file list (a state written before stack recorded one) the
 * hashes stay.
 */
export function nameChangedFiles(
  changes: readonly FieldChange[],
  applied: Readonly<Record<string, string>> | undefined,
  desired: Readonly<Record<string, string>> | undefined,
): FieldChange[] {
  if (!applied || !desired) return [...changes];
  return changes.map((change) => (FILES_FIELDS.has(change.field) && !change.sensitive ? { field: change.field, sensitive: false, files: fileChanges(applied, desired) } : change));
}

/** `changed start.sh; added lib/x.sh; removed old.sh`, at most a few names, then `and N more`. */
export function describeFileChanges(files: FileChanges): string {
  const named = [
    ...files.changed.map((path) => ['changed', path] as const),
    ...files.added.map((path) => ['added', path] as const),
    ...files.removed.map((path) => ['removed', path] as const),
  ];
  if (named.length === 0) return 'no file differs (only how they were read)';
  const shown = named.slice(0, MAX_NAMED_FILES);
  const parts: string[] = [];
  for (const kind of ['changed', 'added', 'removed'] as const) {
    const paths = shown.filter(([which]) => which === kind).map(([, path]) => path);
    if (paths.length > 0) parts.push(`${kind} ${paths.join(', ')}`);
  }
  const more = named.length > shown.length ? ` and ${named.length - shown.length} more` : '';
  return `${parts.join('; ')}${more}`;
}
