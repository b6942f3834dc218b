/**
 * Git plugins (`plugin: { git, ref, commit }`): their commit checked out into `.stack/plugins/`
 * when it is not there yet, and the newest commit of their ref (`stack update`). git runs through
 * os/runner.ts, never a shell, with the URL after `--`, no terminal prompt and only the
 * transports config/git-source.ts allows.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ALLOWED_GIT_PROTOCOLS, COMMIT_ID, gitRefProblem, gitUrlProblem, type GitPluginSource } from '../config/git-source.js';
import { ExitCode, StackError } from '../model/errors.js';
import { runCommand, type CommandResult } from '../os/runner.js';

const GIT_TIMEOUT_MS = 5 * 60_000;

/** What every git command of a plugin runs with: no prompt for a password, no `ext::` even through a submodule. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: ALLOWED_GIT_PROTOCOLS };

async function git(args: string[], verbose?: (line: string) => void): Promise<CommandResult> {
  const result = await runCommand(['git', ...args], { timeoutMs: GIT_TIMEOUT_MS, verbose, env: GIT_ENV });
  if (result.spawnError === 'ENOENT') throw new StackError(ExitCode.providerUnavailable, 'git is not installed (needed for plugins declared with `git:`)');
  return result;
}

/** git's own last line of complaint (`fatal: repository '…' does not exist`), or what ended it. */
function gitSays(result: CommandResult): string {
  if (result.timedOut) return `timed out after ${GIT_TIMEOUT_MS / 60_000} min`;
  const lines = result.stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  return (lines.at(-1) ?? `git exited with code ${result.exitCode}`).replace(/^fatal: /, '');
}

/** Refuses what the schema's check refuses, again here: a library caller may not have validated. */
function checkSource(service: string, source: GitPluginSource): void {
  const problem = gitUrlProblem(source.url) ?? (source.ref === undefined ? undefined : gitRefProblem(source.ref));
  if (problem) throw new StackError(ExitCode.invalidConfig, `service "${service}": ${problem}`);
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(service)) throw new StackError(ExitCode.invalidConfig, `"${service}" cannot name a plugin folder`);
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * Checks the plugin's commit out into `dir` unless it is there: a clone into a temporary folder
 * beside it, renamed into place once the commit is checked out, so a folder that exists is whole
 * and two stack processes fetching at once both end with it. A URL, or a commit, git cannot
 * reach is one error (exit 1) saying which.
 */
export async function fetchGitPlugin(service: string, source: GitPluginSource, dir: string, verbose?: (line: string) => void): Promise<void> {
  const commit = source.commit;
  if (commit === undefined || !COMMIT_ID.test(commit)) throw new StackError(ExitCode.invalidConfig, `service "${service}": plugin.commit is not a full commit id`);
  checkSource(service, source);
  if (await exists(dir)) return;
  await mkdir(dirname(dir), { recursive: true });
  const temporary = join(dirname(dir), `.fetching-${service}-${randomBytes(4).toString('hex')}`);
  try {
    const cloned = await git(['clone', '--quiet', '--no-checkout', '--', source.url, temporary], verbose);
    if (cloned.exitCode !== 0) throw fetchFailed(service, source, `cannot clone ${source.url}: ${gitSays(cloned)}`);
    let checkedOut = await git(['-C', temporary, 'checkout', '--quiet', '--detach', commit], verbose);
    if (checkedOut.exitCode !== 0) {
      // Not on any branch or tag the clone brought: a server may still give it by its id.
      await git(['-C', temporary, 'fetch', '--quiet', 'origin', commit], verbose);
      checkedOut = await git(['-C', temporary, 'checkout', '--quiet', '--detach', commit], verbose);
    }
    if (checkedOut.exitCode !== 0) throw fetchFailed(service, source, `${source.url} has no commit ${commit}`);
    await rename(temporary, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another stack process put it there first: the same commit, so theirs serves.
      if (!(await exists(dir))) throw error;
    });
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

function fetchFailed(service: string, source: GitPluginSource, why: string): StackError {
  return new StackError(ExitCode.actionFailed, `service "${service}": ${why}`, {
    hint: 'check plugin.git and plugin.commit in stack.yaml (`stack update` pins the newest commit of plugin.ref)',
  });
}

/**
 * The newest commit of the plugin's ref on its remote (`git ls-remote`): a branch's head, a tag's
 * commit (an annotated tag peeled), the remote's default branch without a ref. A ref that is a
 * commit id names itself. Throws one error (exit 1) for a URL git cannot reach or a ref it lacks.
 */
export async function newestCommit(service: string, source: GitPluginSource, verbose?: (line: string) => void): Promise<string> {
  checkSource(service, source);
  const ref = source.ref;
  if (ref !== undefined && COMMIT_ID.test(ref)) return ref;
  const listed = await git(['ls-remote', '--', source.url, ...(ref === undefined ? ['HEAD'] : [])], verbose);
  if (listed.exitCode !== 0) throw fetchFailed(service, source, `cannot read ${source.url}: ${gitSays(listed)}`);
  const refs = new Map<string, string>();
  for (const line of listed.stdout.split('\n')) {
    const [id, name] = line.trim().split('\t');
    if (id && name) refs.set(name, id);
  }
  const wanted = ref === undefined ? ['HEAD'] : [ref.startsWith('refs/') ? ref : '', `refs/heads/${ref}`, `refs/tags/${ref}^{}`, `refs/tags/${ref}`];
  for (const name of wanted) {
    const id = refs.get(name);
    if (id !== undefined) return id;
  }
  throw new StackError(ExitCode.actionFailed, `service "${service}": ${source.url} has no ${ref === undefined ? 'default branch' : `branch or tag "${ref}"`}`, {
    hint: 'check plugin.ref in stack.yaml',
  });
}
