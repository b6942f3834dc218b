// stack's git commands (`diff`, `sync`, `--commit`). Each loads gitops/ when called: the other
// commands never run git and do not pay for loading it.
import type { ComparedSide } from '../reconcile/compare-desired.js';
import type { CommitTarget } from '../gitops/commit-file.js';
import type { SyncOutcome, SyncSettings } from '../gitops/sync.js';
import { readStackFile } from './stack-file.js';

export type { CommitTarget } from '../gitops/commit-file.js';
export type { SyncOutcome, SyncSettings } from '../gitops/sync.js';

/**
 * `stack diff`'s two sides: what the stack file at `file` wants at `rev`, and at `rev2` or, without
 * it, in the working tree. Read from git and validated; nothing is observed.
 */
export async function stacksToCompare(file: string, rev: string, rev2: string | undefined, verbose?: (line: string) => void): Promise<[ComparedSide, ComparedSide]> {
  const { locateInRepo } = await import('../gitops/git.js');
  const { loadStackAtRevision } = await import('../gitops/load-at-revision.js');
  const repo = await locateInRepo(file, { verbose });
  const load = { env: process.env, verbose };
  const before = await loadStackAtRevision(repo, rev, load);
  const after: ComparedSide = rev2 !== undefined
    ? await loadStackAtRevision(repo, rev2, load)
    : { label: `the working ${repo.path}`, desired: await readStackFile(repo.absolute, { checkPlugins: false, checkFolders: false }) };
  return [before, after];
}

/** `--commit`, before the edit: the stack file at `file` can be committed alone (exit 1 when a change already in it would be swept in, unless `force`). */
export async function prepareCommit(file: string, options: { force?: boolean; verbose?: (line: string) => void }): Promise<CommitTarget> {
  return (await import('../gitops/commit-file.js')).prepareCommit(file, options);
}

/** Commits the stack file prepared by prepareCommit; resolves with the new commit. */
export async function commitFile(target: CommitTarget, message: string): Promise<string> {
  return (await import('../gitops/commit-file.js')).commitFile(target, message);
}

/** One `stack sync` pass: fetch, fast-forward only, and say whether the stack's files changed. */
export async function syncOnce(settings: SyncSettings): Promise<SyncOutcome> {
  return (await import('../gitops/sync.js')).syncOnce(settings);
}
