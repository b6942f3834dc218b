import { ExitCode, StackError } from '../../model/errors.js';
import { runCommand, type CommandResult } from '../../os/runner.js';

export { withoutCredentials } from '../../config/git-source.js';

/** `https://host/x.git#v1` → the URL and the ref after `#` (if any). */
export function splitGitSource(source: string): { url: string; ref?: string } {
  const hash = source.lastIndexOf('#');
  if (hash <= 0) return { url: source };
  const ref = source.slice(hash + 1);
  return ref === '' ? { url: source.slice(0, hash) } : { url: source.slice(0, hash), ref };
}

/** A git URL (any scheme, `user@host:path`) or a path to a repository ending in `.git`. */
export function isGitSource(source: string): boolean {
  const { url } = splitGitSource(source);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[\w.-]+@[\w.-]+:/.test(url) || /\.git\/?$/.test(url);
}

const GIT_TIMEOUT_MS = 5 * 60_000;

async function git(args: string[], what: string, verbose?: (line: string) => void): Promise<CommandResult> {
  const result = await runCommand(['git', ...args], { timeoutMs: GIT_TIMEOUT_MS, verbose, env: { GIT_TERMINAL_PROMPT: '0' } });
  if (result.spawnError === 'ENOENT') throw new StackError(ExitCode.providerUnavailable, 'git is not installed (needed to add a plugin from a git URL)');
  if (result.exitCode !== 0) {
    const why = result.timedOut ? 'timed out' : (result.stderr.trim().split('\n').at(-1) ?? `exit code ${result.exitCode}`);
    throw new StackError(ExitCode.actionFailed, `${what}: ${why}`);
  }
  return result;
}

/**
 * Clones `url` into `dest` and checks out `ref` (a commit, tag or branch; default: the remote's
 * default branch) detached. Returns the commit it resolved to, which stack.yaml records.
 */
export async function clonePinned(url: string, ref: string | undefined, dest: string, verbose?: (line: string) => void): Promise<string> {
  await git(['clone', '--quiet', '--', url, dest], `cannot clone ${url}`, verbose);
  if (ref !== undefined) {
    const candidates = [ref, `origin/${ref}`];
    let commit: string | undefined;
    for (const candidate of candidates) {
      const found = await runCommand(['git', '-C', dest, 'rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], { verbose });
      if (found.exitCode === 0) {
        commit = found.stdout.trim();
        break;
      }
    }
    if (commit === undefined) throw new StackError(ExitCode.actionFailed, `${url} has no commit, tag or branch "${ref}"`);
    await git(['-C', dest, 'checkout', '--quiet', '--detach', commit], `cannot check out ${ref}`, verbose);
  }
  return (await git(['-C', dest, 'rev-parse', 'HEAD'], `cannot read the commit of ${dest}`, verbose)).stdout.trim();
}
