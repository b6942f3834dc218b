/**
 * Who a service with `user:` / `group:` runs as: names and ids looked up in /etc/passwd and
 * /etc/group, as `runuser` finds them on a machine whose accounts live in those files. Read
 * from the files, not through NSS (no LDAP or systemd-homed accounts) and never by running
 * `id`: a load stays free of commands, and the two files are small.
 */

import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

/** The ids and the login environment a process started as another user gets. */
export interface Account {
  /** The user's name, or its id as text when /etc/passwd has no entry for it. */
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups, as initgroups(3) gives them: `gid` and every group that lists the user. */
  groups: number[];
  home: string;
  shell: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The two files' texts; a missing file is empty. */
export interface AccountFiles {
  passwd: string;
  group: string;
}

const ID = /^\d+$/;
// The largest id Linux accepts; (uid_t)-1 means "no change" to setuid.
const MAX_ID = 4294967294;

/** Reads /etc/passwd and /etc/group (each missing one as empty). */
export function readAccountFiles(root = '/etc'): AccountFiles {
  const read = (name: string): string => {
    try {
      return readFileSync(`${root}/${name}`, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
  };
  return { passwd: read('passwd'), group: read('group') };
}

function fieldsOf(text: string): string[][] {
  return text.split('\n').flatMap((line) => (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-') ? [] : [line.split(':')]));
}

function passwdEntries(text: string): PasswdEntry[] {
  return fieldsOf(text).flatMap(([name, , uid, gid, , home, shell]) =>
    name && uid && gid && ID.test(uid) && ID.test(gid) ? [{ name, uid: Number(uid), gid: Number(gid), home: home ?? '/', shell: shell ?? '' }] : [],
  );
}

function groupEntries(text: string): GroupEntry[] {
  return fieldsOf(text).flatMap(([name, , gid, members]) =>
    name && gid && ID.test(gid) ? [{ name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) }] : [],
  );
}

/** An id as written (`101`, or the number YAML read), or undefined for a name. */
export function idOf(written: string): number | undefined {
  if (!ID.test(written)) return undefined;
  const id = Number(written);
  return id <= MAX_ID ? id : undefined;
}

export type AccountResult = { ok: true; account: Account } | { ok: false; key: 'user' | 'group'; message: string; hint?: string };

/**
 * The account `user` (a name or an id) runs as, its group replaced by `group` when given.
 * A user missing from /etc/passwd is an error unless it is an id and `group` says which
 * group: there is no entry to take its group from, and root's would be the wrong guess.
 */
export function resolveAccount(user: string, group: string | undefined, files: AccountFiles): AccountResult {
  const users = passwdEntries(files.passwd);
  const groups = groupEntries(files.group);
  const uid = idOf(user);
  const entry = uid === undefined ? users.find((each) => each.name === user) : users.find((each) => each.uid === uid);
  if (!entry && uid === undefined) {
    return { ok: false, key: 'user', message: `no user named "${user}" on this machine (in /etc/passwd)`, hint: 'create it (useradd), or name an existing user or a numeric id' };
  }
  let gid = entry?.gid;
  if (group !== undefined) {
    const groupId = idOf(group);
    const named = groupId === undefined ? groups.find((each) => each.name === group) : undefined;
    if (groupId === undefined && !named) return { ok: false, key: 'group', message: `no group named "${group}" on this machine (in /etc/group)`, hint: 'create it (groupadd), or name an existing group or a numeric id' };
    gid = groupId ?? named?.gid;
  }
  if (gid === undefined || uid === undefined && !entry) {
    return { ok: false, key: 'user', message: `uid ${user} has no entry in /etc/passwd to take its group from`, hint: 'add group: (a name or a numeric id)' };
  }
  const name = entry?.name ?? user;
  // initgroups(3), as runuser calls it: the group it runs with, and every group listing the user by name.
  const listed = entry ? groups.filter((each) => each.members.includes(entry.name)).map((each) => each.gid) : [];
  const supplementary = [...new Set([gid, ...listed])];
  return { ok: true, account: { name, uid: entry?.uid ?? (uid as number), gid, groups: supplementary, home: entry?.home ?? '/', shell: entry?.shell ?? '/bin/sh' } };
}

/** The login environment `runuser` gives: HOME, SHELL, USER and LOGNAME of the account. */
export function loginEnv(account: Account): Record<string, string> {
  return { HOME: account.home, SHELL: account.shell || '/bin/sh', USER: account.name, LOGNAME: account.name };
}

/** Whether the caller runs as exactly this account already: the spawn changes nothing then. */
export function isCaller(account: Account): boolean {
  return process.geteuid?.() === account.uid && process.getegid?.() === account.gid;
}

/** Whether the caller may become `account`: root may become anyone, another user only itself. */
export function mayBecome(account: Account): boolean {
  return process.geteuid?.() === 0 || isCaller(account);
}

/** `postgres`, or `uid 5000` for an id with no name. */
export function describeAccount(account: Account): string {
  return account.name === String(account.uid) ? `uid ${account.uid}` : account.name;
}

/**
 * The first folder on the way to `dir` (itself included) that `account` may not enter, by the
 * mode bits (ACLs aside), or undefined. A start checks it beforehand: the addon enters the
 * folder as the user and would fail with a bare EACCES, node:child_process enters it as stack.
 */
export async function folderDenied(dir: string, account: Account): Promise<string | undefined> {
  if (account.uid === 0) return undefined;
  const parts = resolve(dir).split('/').filter(Boolean);
  for (let count = 0; count <= parts.length; count++) {
    const folder = `/${parts.slice(0, count).join('/')}`;
    const info = await stat(folder).catch(() => undefined);
    // A missing folder is reported by the start as missing.
    if (!info) return undefined;
    const bit = info.uid === account.uid ? 0o100 : account.groups.includes(info.gid) || info.gid === account.gid ? 0o010 : 0o001;
    if ((info.mode & bit) === 0) return folder;
  }
  return undefined;
}
