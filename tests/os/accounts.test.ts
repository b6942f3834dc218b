// `user:` / `group:` looked up in /etc/passwd and /etc/group texts, as initgroups and runuser see them.
import { describe, expect, it } from 'vitest';
import { loginEnv, readAccountFiles, resolveAccount } from '../../src/os/accounts.js';

const files = {
  passwd: ['root:x:0:0:root:/root:/bin/bash', '# a comment', 'postgres:x:101:104:PostgreSQL:/var/lib/postgresql:/bin/bash', 'app:x:1000:1000::/home/app:', 'broken:x:abc:1::/:/bin/sh', ''].join('\n'),
  group: ['root:x:0:', 'ssl-cert:x:103:postgres', 'postgres:x:104:', 'app:x:1000:', 'docker:x:998:app,postgres', ''].join('\n'),
};

describe('resolveAccount', () => {
  it('takes a user by name or id, with its group and the groups that list it', () => {
    const byName = resolveAccount('postgres', undefined, files);
    expect(byName).toEqual({ ok: true, account: { name: 'postgres', uid: 101, gid: 104, groups: [104, 103, 998], home: '/var/lib/postgresql', shell: '/bin/bash' } });
    expect(resolveAccount('101', undefined, files)).toEqual(byName);
  });

  it('replaces the group by name or id; the supplementary groups follow initgroups(user, group)', () => {
    expect(resolveAccount('app', 'docker', files)).toMatchObject({ ok: true, account: { uid: 1000, gid: 998, groups: [998] } });
    expect(resolveAccount('app', '4242', files)).toMatchObject({ ok: true, account: { uid: 1000, gid: 4242, groups: [4242, 998] } });
  });

  it('takes an id with no entry only with a group, named after its id', () => {
    expect(resolveAccount('5000', '5000', files)).toEqual({ ok: true, account: { name: '5000', uid: 5000, gid: 5000, groups: [5000], home: '/', shell: '/bin/sh' } });
    expect(resolveAccount('5000', undefined, files)).toMatchObject({ ok: false, key: 'user', message: 'uid 5000 has no entry in /etc/passwd to take its group from' });
  });

  it('names what is unknown: a user, a group; a malformed line is no account', () => {
    expect(resolveAccount('nope', undefined, files)).toMatchObject({ ok: false, key: 'user', message: 'no user named "nope" on this machine (in /etc/passwd)' });
    expect(resolveAccount('broken', undefined, files)).toMatchObject({ ok: false, key: 'user' });
    expect(resolveAccount('app', 'nope', files)).toMatchObject({ ok: false, key: 'group', message: 'no group named "nope" on this machine (in /etc/group)' });
    expect(resolveAccount('99999999999', '1', files)).toMatchObject({ ok: false, key: 'user' });
  });

  it('gives the login environment runuser gives, a missing shell as /bin/sh', () => {
    const app = resolveAccount('app', undefined, files);
    expect(app.ok && loginEnv(app.account)).toEqual({ HOME: '/home/app', SHELL: '/bin/sh', USER: 'app', LOGNAME: 'app' });
  });

  it('reads a missing file as empty', () => {
    expect(readAccountFiles('/nonexistent-folder')).toEqual({ passwd: '', group: '' });
  });
});
