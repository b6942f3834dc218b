/**
 * One pass of `stack sync`: fetch the followed branch and fast-forward to it, never anything
 * else. Local changes, another branch, a detached HEAD or a divergence are refused and reported
 * (a person decides how to merge; a pull loop never does). Reconciling is the caller's part.
 */

import { join } from 'node:path';
import { readStack } from '../load/read-stack.js';
import { PROVIDERS } from '../providers/registry.js';
import { changedPaths, countCommits, git, isAncestor, locateInRepo, statusLines, tryGit, type RepoFile } from './git.js';
import { stackFilesOf, touchedStackFiles, type StackFiles } from './referenced-files.js';

export interface SyncSettings {
  /** Absolute path of stack.yaml. */
  file: string;
  remote: string;
  branch: string;
  verbose?: ((line: string) => void) | undefined;
}

export type SyncOutcome =
  | { kind: 'up-to-date'; commit: string }
  | { kind: 'ahead'; commits: number }
  | { kind: 'fast-forwarded'; from: string; to: string; commits: number; stackFiles: string[] }
  | { kind: 'refused'; reason: string; hint: string };

const FETCH_TIMEOUT_MS = 5 * 60_000;

export async function syncOnce(settings: SyncSettings): Promise<SyncOutcome> {
  const repo = await locateInRepo(settings.file, { verbose: settings.verbose });
  const at = { cwd: repo.top, verbose: settings.verbose };
  const { remote, branch } = settings;
  const tracking = `refs/remotes/${remote}/${branch}`;

  const current = await tryGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], at);
  if (current.exitCode !== 0) return refused('HEAD is detached', `check out ${branch} (git switch ${branch})`);
  if (current.stdout.trim() !== branch) {
    return refused(`the work tree is on branch ${current.stdout.trim()}, not ${branch}`, `git switch ${branch}, or pass --branch ${current.stdout.trim()}`);
  }
  const local = await statusLines([], { ...at, untracked: false });
  if (local.length > 0) {
    const listed = local.slice(0, 5).map((line) => line.trim()).join(', ') + (local.length > 5 ? ` and ${local.length - 5} more` : '');
    return refused(`the work tree has local changes (${listed})`, 'commit and push them, or stash them; sync never overwrites local work');
  }

  await git(['fetch', '--quiet', '--no-tags', '--', remote, `+refs/heads/${branch}:${tracking}`], `cannot fetch ${branch} from ${remote}`, { ...at, timeoutMs: FETCH_TIMEOUT_MS });
  const head = (await git(['rev-parse', 'HEAD'], 'cannot read HEAD', at)).trim();
  const target = (await git(['rev-parse', tracking], `cannot read ${remote}/${branch}`, at)).trim();
  if (head === target) return { kind: 'up-to-date', commit: head };
  if (await isAncestor(target, head, at)) return { kind: 'ahead', commits: await countCommits(target, head, at) };
  if (!(await isAncestor(head, target, at))) {
    const [mine, theirs] = await Promise.all([countCommits(target, head, at), countCommits(head, target, at)]);
    return refused(
      `${branch} and ${remote}/${branch} have diverged (${mine} local and ${theirs} remote commit${theirs === 1 ? '' : 's'})`,
      `sync only fast-forwards: rebase or reset ${branch} by hand, then sync again`,
    );
  }

  const before = await stackFilesAt(repo);
  const changed = (await changedPaths(head, target, at)).map((path) => join(repo.top, path));
  const merged = await tryGit(['merge', '--ff-only', '--quiet', target], at);
  if (merged.exitCode !== 0) return refused(`cannot fast-forward to ${remote}/${branch}: ${merged.stderr.trim().split('\n').at(-1) ?? ''}`, 'fix the work tree by hand, then sync again');
  const after = await stackFilesAt(repo);
  return {
    kind: 'fast-forwarded',
    from: head,
    to: target,
    commits: await countCommits(head, target, at),
    stackFiles: touchedStackFiles(changed, [before, after].filter((files): files is StackFiles => files !== undefined)),
  };
}

/** The stack's files as the work tree has them; with an invalid or missing file, just stack.yaml. */
async function stackFilesAt(repo: RepoFile): Promise<StackFiles> {
  try {
    return stackFilesOf(await readStack(repo.absolute, { providers: PROVIDERS, checkPlugins: false, checkFolders: false }));
  } catch {
    return { files: [repo.absolute], folders: [] };
  }
}

function refused(reason: string, hint: string): SyncOutcome {
  return { kind: 'refused', reason, hint };
}
