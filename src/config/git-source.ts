/**
 * What stack accepts as a git plugin's source, and the folder it is kept in: pure rules, so
 * `stack validate` reports a bad URL at its `file:line:col` before git is ever run.
 */

import { resolvePath } from './paths.js';

/** A git plugin as stack.yaml declares it: `plugin: { git, ref?, commit? }`. */
export interface GitPluginSource {
  url: string;
  /** The branch or tag `stack update` follows; absent: the remote's default branch. */
  ref?: string;
  /** The commit it is pinned to (what runs); absent until `stack update` pins it. */
  commit?: string;
}

/** A full commit id: SHA-1 (40 hex digits) or SHA-256 (64). */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** The transports git may use for a plugin (`GIT_ALLOW_PROTOCOL`): never `ext::`, `fd::` or a remote helper. */
export const ALLOWED_GIT_PROTOCOLS = 'https:http:ssh:git:file';

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const SCP_LIKE = /^[\w.-]+@[\w.-]+:[^/\\]?/;
const SCHEMES = new Set(['https', 'http', 'ssh', 'git', 'file', 'git+ssh', 'ssh+git']);

/** Why `url` cannot be a plugin's git source, or undefined when it can. */
export function gitUrlProblem(url: string): string | undefined {
  // `ext::sh -c …` runs a command and `fd::` reads a descriptor: git's remote helpers are never used.
  if (/^[a-z][a-z0-9+.-]*::/i.test(url)) return `git's "${url.slice(0, url.indexOf('::'))}::" transport is not allowed: use an https, ssh, git or file URL`;
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return 'a git URL has no spaces or control characters';
  if (url.startsWith('-')) return 'a git URL cannot start with "-"';
  const scheme = URL_SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (SCP_LIKE.test(url)) return undefined;
    return 'expected a git URL (https://…, ssh://…, git@host:owner/repo.git, file:///path)';
  }
  if (!SCHEMES.has(scheme)) return `the "${scheme}" scheme is not allowed: use https, http, ssh, git or file`;
  const bare = withoutCredentials(url);
  if (bare !== undefined) return `the URL carries credentials, which would sit in stack.yaml: write it as ${bare} and let git's credential helper supply them`;
  return undefined;
}

/**
 * The URL without the credentials it carries (`https://user:token@host/r.git` → `https://host/r.git`),
 * or undefined when it carries none. Over ssh a user name alone is a login, not a secret; over
 * http(s) a token often stands where the user name goes, so any user part counts.
 */
export function withoutCredentials(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const ssh = /^(ssh|git\+ssh|ssh\+git):$/.test(parsed.protocol);
  if (parsed.password === '' && (parsed.username === '' || ssh)) return undefined;
  return `${parsed.protocol}//${ssh ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}${parsed.search}`;
}

/** Why `ref` cannot name a branch or tag (git's check-ref-format, and never an option), or undefined. */
export function gitRefProblem(ref: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const bad = ref.startsWith('-') || ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock') || /[\s\u0000-\u001f\u007f~^:?*[\\]|\.\.|@\{|\/\/|(^|\/)\./.test(ref);
  return bad ? `"${ref}" is not a branch or tag name git accepts` : undefined;
}

/**
 * Where a git plugin's commit is checked out: `.stack/plugins/<service>-<commit>/`, one folder
 * a commit, so moving the pin never rewrites the folder a running plugin came from. Undefined
 * until it is pinned. (`.stack/` is the state folder, src/state/paths.ts; config sits below it.)
 */
export function gitPluginDir(root: string, service: string, commit: string | undefined): string | undefined {
  return commit === undefined ? undefined : resolvePath(root, `.stack/plugins/${service}-${commit}`);
}
