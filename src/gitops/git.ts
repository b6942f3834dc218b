/**
 * Every git command stack runs goes through here, and from here through the one runner
 * (src/os/runner.ts), so `--verbose` prints each exactly once. Git never prompts: a
 * fetch that needs a password fails instead of hanging an unattended `stack sync`.
 */

import { realpath } from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { ExitCode, StackError } from '../model/errors.js';
import { runCommand, type CommandResult } from '../os/runner.js';

export interface GitOptions {
  /** The folder git runs in (any folder of the work tree). */
  cwd: string;
  verbose?: ((line: string) => void) | undefined;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 2 * 60_000;
const NO_PROMPT = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' };

/** Runs git and returns its result whatever the exit code; throws only when git is missing. */
export async function tryGit(args: readonly string[], options: GitOptions): Promise<CommandResult> {
  const result = await runCommand(['git', ...args], {
    cwd: options.cwd,
    env: NO_PROMPT,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    verbose: options.verbose,
  });
  if (result.spawnError !== undefined) {
    throw new StackError(ExitCode.actionFailed, result.spawnError === 'ENOENT' ? 'git is not installed' : `cannot run git: ${result.spawnError}`);
  }
  return result;
}

/** Runs git and returns its stdout; a failure becomes a StackError (exit 1) saying what was attempted. */
export async function git(args: readonly string[], what: string, options: GitOptions): Promise<string> {
  const result = await tryGit(args, options);
  if (result.exitCode !== 0) throw new StackError(ExitCode.actionFailed, `${what}: ${gitReason(result)}`);
  return result.stdout;
}

/** The line of git's stderr that says why (its last `fatal:`/`error:` line, else the last line). */
export function gitReason(result: CommandResult): string {
  if (result.timedOut) return 'git timed out';
  const lines = result.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const telling = lines.filter((line) => /^(fatal|error):/.test(line)).at(-1) ?? lines.at(-1);
  return telling?.replace(/^(fatal|error):\s*/, '') ?? `git exited with code ${result.exitCode}`;
}

/** Where a file sits in its repository: the work tree's top and the file's path from there. */
export interface RepoFile {
  /** Absolute, symlinks resolved. */
  top: string;
  /** Relative to `top`, with `/` separators: what `git show <rev>:<path>` wants. */
  path: string;
  /** Absolute path of the file, symlinks of its folder resolved. */
  absolute: string;
}

/** Finds the repository holding `file` (which need not exist yet at a revision). Exit 1 outside one. */
export async function locateInRepo(file: string, options: Omit<GitOptions, 'cwd'> = {}): Promise<RepoFile> {
  const folder = await realpath(dirname(file));
  const result = await tryGit(['rev-parse', '--show-toplevel'], { ...options, cwd: folder });
  if (result.exitCode !== 0) {
    throw new StackError(ExitCode.actionFailed, `${folder} is not in a git repository`, { hint: 'run `git init` and commit stack.yaml first' });
  }
  const top = result.stdout.trim();
  const absolute = `${folder}${sep}${file.slice(dirname(file).length + 1)}`;
  return { top, path: relative(top, absolute).split(sep).join('/'), absolute };
}

/** The commit `rev` names, or a StackError (exit 1) naming the revision. */
export async function resolveCommit(rev: string, options: GitOptions): Promise<string> {
  const result = await tryGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], options);
  if (result.exitCode !== 0) throw new StackError(ExitCode.actionFailed, `unknown revision "${rev}"`, { hint: 'name a commit, branch or tag (git log --oneline)' });
  return result.stdout.trim();
}

/**
 * The text of `path` (relative to the top) at `commit`, read from git's object store: the work
 * tree and the index are never touched. `undefined` when the commit has no such file.
 */
export async function showFileAt(commit: string, path: string, options: GitOptions): Promise<string | undefined> {
  const exists = await tryGit(['cat-file', '-e', `${commit}:${path}`], options);
  if (exists.exitCode !== 0) return undefined;
  // runCommand strips one final newline; the loaders do not care, and it is put back for fidelity.
  const text = await git(['show', `${commit}:${path}`], `cannot read ${path} at ${commit.slice(0, 12)}`, options);
  return `${text}\n`;
}

/** `git status --porcelain` lines for `paths` (all of the work tree when empty); untracked files optional. */
export async function statusLines(paths: readonly string[], options: GitOptions & { untracked?: boolean }): Promise<string[]> {
  const args = ['status', '--porcelain', `--untracked-files=${options.untracked === false ? 'no' : 'normal'}`, '--', ...paths];
  const out = await git(args, 'cannot read git status', options);
  return out.split('\n').filter((line) => line.trim() !== '');
}

/** True when `ancestor` is reachable from `descendant`. */
export async function isAncestor(ancestor: string, descendant: string, options: GitOptions): Promise<boolean> {
  const result = await tryGit(['merge-base', '--is-ancestor', ancestor, descendant], options);
  if (result.exitCode === 0 || result.exitCode === 1) return result.exitCode === 0;
  throw new StackError(ExitCode.actionFailed, `cannot compare ${ancestor} and ${descendant}: ${gitReason(result)}`);
}

/** How many commits are in `to` but not in `from`. */
export async function countCommits(from: string, to: string, options: GitOptions): Promise<number> {
  return Number((await git(['rev-list', '--count', `${from}..${to}`], 'cannot count commits', options)).trim());
}

/** Paths (relative to the top) that differ between two commits. */
export async function changedPaths(from: string, to: string, options: GitOptions): Promise<string[]> {
  const out = await git(['diff', '--name-only', '-z', '--no-renames', from, to, '--'], 'cannot list changed files', options);
  return out.split('\0').filter(Boolean);
}
