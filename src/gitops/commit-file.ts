/**
 * `--commit`: stack.yaml is committed alone (`git commit --only -- <file>`), whatever else is
 * staged or modified, so the commit says exactly what the verb did. Nothing is ever pushed.
 */

import { ExitCode, StackError } from '../model/errors.js';
import { git, locateInRepo, statusLines, tryGit, type RepoFile } from './git.js';

export interface CommitTarget extends RepoFile {
  /** Not yet known to git (`--force` adds it). */
  untracked: boolean;
  verbose?: ((line: string) => void) | undefined;
}

/**
 * Checked before the file is edited: a change already in it would be swept into the commit under
 * the verb's message, so that is refused unless `force`. Exit 1 outside a repository.
 */
export async function prepareCommit(file: string, options: { force?: boolean; verbose?: (line: string) => void }): Promise<CommitTarget> {
  const repo = await locateInRepo(file, { verbose: options.verbose });
  const at = { cwd: repo.top, verbose: options.verbose };
  const status = await statusLines([repo.path], at);
  const tracked = (await tryGit(['ls-files', '--error-unmatch', '--', repo.path], at)).exitCode === 0;
  if (!tracked && status.length === 0) {
    throw new StackError(ExitCode.actionFailed, `${repo.path} is ignored by git, so --commit cannot commit it`, { hint: 'remove it from .gitignore' });
  }
  if (status.length > 0 && !options.force) {
    const what = tracked ? `has uncommitted changes (${status.map((line) => line.trim()).join(', ')})` : 'is not committed yet';
    throw new StackError(ExitCode.actionFailed, `${repo.path} ${what}; --commit would commit them under this edit's message`, {
      hint: 'commit or stash them first, or pass --force to commit them along',
    });
  }
  return { ...repo, untracked: !tracked, verbose: options.verbose };
}

/** Commits the file alone with `message`; returns the new commit's hash. */
export async function commitFile(target: CommitTarget, message: string): Promise<string> {
  const at = { cwd: target.top, verbose: target.verbose };
  if (target.untracked) await git(['add', '--', target.path], `cannot add ${target.path}`, at);
  await git(['commit', '--quiet', '--only', '-m', message, '--', target.path], `${target.path} was edited but not committed`, at);
  return (await git(['rev-parse', 'HEAD'], 'cannot read the new commit', at)).trim();
}
