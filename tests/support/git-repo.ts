// Real git repositories in temp folders for the GitOps tests. Identity and config come from the
// environment, never from the machine's global git config.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Stack Test',
  GIT_AUTHOR_EMAIL: 'stack-test@example.invalid',
  GIT_COMMITTER_NAME: 'Stack Test',
  GIT_COMMITTER_EMAIL: 'stack-test@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

// In-process git calls (src/gitops) inherit this process's environment.
Object.assign(process.env, GIT_ENV);

/** Runs git in `cwd`; throws with git's stderr when it fails. */
export function gitIn(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

const made: string[] = [];

/** A fresh temp folder, removed by `removeTempFolders`. */
export function tempFolder(prefix = 'stack-git-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempFolders(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (paths relative to `root`), creating folders. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A repository on `main` with `files` committed as its first commit. */
export function makeRepo(files: Record<string, string>, message = 'first'): string {
  const dir = tempFolder();
  gitIn(dir, 'init', '--quiet', '--initial-branch=main');
  writeFiles(dir, files);
  gitIn(dir, 'add', '--all');
  gitIn(dir, 'commit', '--quiet', '-m', message);
  return dir;
}

/** Writes `files` and commits them all. Returns the new commit. */
export function commitFiles(repo: string, files: Record<string, string>, message: string): string {
  writeFiles(repo, files);
  gitIn(repo, 'add', '--all');
  gitIn(repo, 'commit', '--quiet', '-m', message);
  return gitIn(repo, 'rev-parse', 'HEAD');
}

/**
 * A bare remote holding `files`, a clone that pushes to it (`upstream`) and a second clone that
 * follows it (`follower`), both on main.
 */
export function makeRemoteSetup(files: Record<string, string>): { remote: string; upstream: string; follower: string } {
  const seed = makeRepo(files);
  const remote = join(tempFolder('stack-remote-'), 'remote.git');
  gitIn(seed, 'clone', '--quiet', '--bare', seed, remote);
  const upstream = join(tempFolder('stack-upstream-'), 'work');
  const follower = join(tempFolder('stack-follower-'), 'work');
  gitIn(dirname(upstream), 'clone', '--quiet', remote, upstream);
  gitIn(dirname(follower), 'clone', '--quiet', remote, follower);
  return { remote, upstream, follower };
}

/** Paths a commit touched. */
export function touchedBy(repo: string, commit = 'HEAD'): string[] {
  return gitIn(repo, 'show', '--name-only', '--format=', commit).split('\n').filter(Boolean);
}
