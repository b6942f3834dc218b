/**
 * stack.yaml as it was at a git revision, read from git's object store (`git show`): the work
 * tree, the index and the services are never touched. Its env files and the `.env` beside it
 * come from the same revision (those git does not track, from disk); the texts go through the
 * same pure loader as the working file.
 */

import { readRegularFile } from '../os/safe-file.js';
import { MAX_STACK_FILE_BYTES } from '../config/limits.js';
import { dirname, posix } from 'node:path';
import { allocatePorts } from '../load/named-ports.js';
import { invalidConfig } from '../model/errors.js';
import { loadStackText, type LoadOptions } from '../config/load.js';
import { PROVIDERS } from '../providers/registry.js';
import type { ComparedSide } from '../reconcile/compare-desired.js';
import { resolveCommit, showFileAt, tryGit, type GitOptions, type RepoFile } from './git.js';

export interface LoadAtRevisionOptions extends Omit<GitOptions, 'cwd'> {
  /** Variables for `${VAR}` (the caller's environment, as for the working file). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The desired state at `rev`; `desired` is undefined when stack.yaml did not exist there. Exit 5 when it was invalid. */
export async function loadStackAtRevision(repo: RepoFile, rev: string, options: LoadAtRevisionOptions): Promise<ComparedSide> {
  const git = { ...options, cwd: repo.top };
  const commit = await resolveCommit(rev, git);
  const label = rev === commit ? commit.slice(0, 12) : `${rev} (${commit.slice(0, 7)})`;
  const text = await showFileAt(commit, repo.path, git);
  if (text === undefined) return { label: `${label}, without ${repo.path}`, desired: undefined };

  const dotEnvPath = posix.join(posix.dirname(repo.path), '.env');
  const dotEnvText = await readInRepoAt(repo, commit, dotEnvPath, git);
  let loadOptions: LoadOptions = {
    providers: PROVIDERS,
    displayFile: `${rev}:${repo.path}`,
    env: options.env,
    ...(dotEnvText === undefined ? {} : { dotEnvText, dotEnvDisplay: `${rev}:${dotEnvPath}` }),
  };
  let loaded = loadStackText(text, repo.absolute, new Map(), loadOptions);
  if (loaded.needsPorts) {
    // The working tree's ports, as its stack has them: a revision is compared with what runs here.
    loadOptions = { ...loadOptions, ports: (await allocatePorts(dirname(repo.absolute), loaded.portsWanted, { write: false })).allocation };
    loaded = loadStackText(text, repo.absolute, new Map(), loadOptions);
  }
  if (loaded.envFilesWanted.length > 0) {
    const texts = new Map<string, string>();
    for (const wanted of loaded.envFilesWanted) {
      const found = await readEnvFileAt(repo, commit, wanted, git);
      if (found !== undefined) texts.set(wanted, found);
    }
    loaded = loadStackText(text, repo.absolute, texts, loadOptions);
  }
  if (!loaded.desired || loaded.issues.length > 0) throw invalidConfig(`${rev}:${repo.path}`, loaded.issues);
  return { label, desired: loaded.desired };
}

/**
 * An env file inside the repository is read at the revision. One outside it (`/etc/app.env`) has
 * no revisions: it is read from disk, so it is the same on both sides and never shows as a change.
 */
async function readEnvFileAt(repo: RepoFile, commit: string, absolute: string, git: GitOptions): Promise<string | undefined> {
  const inside = absolute.startsWith(`${repo.top}/`);
  if (inside) return readInRepoAt(repo, commit, absolute.slice(repo.top.length + 1), git);
  return readFromDisk(absolute);
}

/**
 * A file of the repository at the revision; one git does not track (a `.env` of secrets, ignored
 * as it should be) has no revisions either: read from disk, as one outside the repository.
 */
async function readInRepoAt(repo: RepoFile, commit: string, path: string, git: GitOptions): Promise<string | undefined> {
  const text = await showFileAt(commit, path, git);
  if (text !== undefined) return text;
  const tracked = await tryGit(['--literal-pathspecs', 'ls-files', '--', path], git);
  return tracked.exitCode === 0 && tracked.stdout.trim() === '' ? readFromDisk(`${repo.top}/${path}`) : undefined;
}

/** As from disk at the working tree: only a regular file, at most what the loader takes. */
async function readFromDisk(absolute: string): Promise<string | undefined> {
  const read = await readRegularFile(absolute, { maxBytes: MAX_STACK_FILE_BYTES }).catch(() => undefined);
  return read?.ok ? read.bytes.toString('utf8') : undefined;
}
