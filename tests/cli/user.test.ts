// `user:` and `group:` of process services on real processes: the ids the kernel shows, the
// login environment, the log stack keeps, unknown accounts at load, a restart when the user
// changes, a caller that is not root, and postgres (which refuses root) started as `postgres`.
// The machine and CI run as root; the caller that is not is `nobody`, through spawn's uid option.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { processesWith, stack, STACK_BIN, waitFor } from '../support/stack-cli.js';
import { Cleanup, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const NOBODY = 65534;
const POSTGRES = { uid: 101, gid: 104 };

/** A stack whose folder every user may enter: the services' cwd defaults to it. */
function stackOf(services: string): { s: Scratch; m: string } {
  const m = cleanup.marker(uniqueMarker());
  const s = cleanup.scratch(`version: 1\nservices:\n${services.replaceAll('MARK', m)}`);
  chmodSync(s.dir, 0o755);
  return { s, m };
}

/** `Uid:` and `Gid:` (real, effective, saved, filesystem) and `Groups:` of /proc/<pid>/status. */
function idsOf(pid: number): { uid: string; gid: string; groups: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const line = (key: string) => status.match(new RegExp(`^${key}:[ \\t]*(.*)$`, 'm'))?.[1]?.trim().split(/\s+/).join(' ') ?? '';
  return { uid: line('Uid'), gid: line('Gid'), groups: line('Groups') };
}

const pidOf = (s: Scratch, name: string) => s.state().services[name]?.pid as number;
const logOf = (s: Scratch, name: string) => join(s.dir, '.stack', 'logs', `${name}.log`);
const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('user: and group: of a process service', () => {
  it('runs the process as the user, with its groups and login environment; the log stays root\'s', async () => {
    const { s } = stackOf(`  web:\n    command: sh -c 'echo "home=$$HOME user=$$USER logname=$$LOGNAME mine=$$MINE"; exec sleep MARK'\n    user: nobody\n    env: { MINE: kept }\n`);
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    const pid = pidOf(s, 'web');
    expect(idsOf(pid)).toEqual({ uid: `${NOBODY} ${NOBODY} ${NOBODY} ${NOBODY}`, gid: `${NOBODY} ${NOBODY} ${NOBODY} ${NOBODY}`, groups: String(NOBODY) });
    await waitFor(() => read(logOf(s, 'web')).includes('home='), 5000, 'the service to write its log');
    expect(read(logOf(s, 'web'))).toContain('home=/nonexistent user=nobody logname=nobody mine=kept');
    // Written through the descriptor stack opened: the file is root's, 0600, and `stack logs` reads it.
    const info = statSync(logOf(s, 'web'));
    expect({ uid: info.uid, gid: info.gid, mode: info.mode & 0o777 }).toEqual({ uid: 0, gid: 0, mode: 0o600 });
    expect(stack(['logs', 'web', '--file', s.file]).stdout).toContain('user=nobody');
    // stack exec runs as the service's user too.
    expect(stack(['exec', 'web', '-f', s.file, '--', 'id', '-u']).stdout.trim()).toBe(String(NOBODY));
    expect(stack(['check', '-f', s.file]).stdout).toContain('✓ user        web: runs as nobody (uid 65534, gid 65534)');
  });

  it('rotates and follows the log of a service that runs as another user, every file staying root\'s', async () => {
    const { s } = stackOf(`  web:\n    command: sh -c 'yes xxxxxxxx | head -n 400; while :; do echo tick; sleep 0.05; done; echo MARK'\n    user: nobody\n    logs: { maxSize: 1KB, maxFiles: 2 }\n`);
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    await waitFor(() => read(logOf(s, 'web')).includes('tick'), 5000, 'the service to write past its size limit');
    // A start rotates a large log: done by stack, as root, whoever the service runs as.
    expect(stack(['restart', 'web', '-f', s.file]).code).toBe(0);
    for (const file of [logOf(s, 'web'), `${logOf(s, 'web')}.1`]) expect(statSync(file).uid).toBe(0);
    expect(read(`${logOf(s, 'web')}.1`)).toContain('xxx');
    const follow = cleanup.cli(['logs', 'web', '--follow', '--file', s.file]);
    await waitFor(() => follow.stdout().includes('web | tick'), 5000, 'the follower to print a new line');
  });

  it('sets the supplementary groups as runuser does through the addon, and none through node:child_process', () => {
    const { s } = stackOf(`  db:\n    command: sleep MARK\n    user: postgres\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const groups = spawnSync('id', ['-G', 'postgres'], { encoding: 'utf8' }).stdout.trim().split(' ').sort().join(' ');
    expect(idsOf(pidOf(s, 'db'))).toMatchObject({ uid: `${POSTGRES.uid} `.repeat(4).trim(), gid: `${POSTGRES.gid} `.repeat(4).trim() });
    expect(idsOf(pidOf(s, 'db')).groups.split(' ').sort().join(' ')).toBe(groups);
    // Without the addon, libuv clears them (setgroups(0)): the user and group are the same.
    expect(stack(['restart', 'db', '-f', s.file], { env: { STACK_NATIVE_SPAWN: '0' } }).code).toBe(0);
    expect(idsOf(pidOf(s, 'db'))).toEqual({ uid: `${POSTGRES.uid} `.repeat(4).trim(), gid: `${POSTGRES.gid} `.repeat(4).trim(), groups: '' });
  });

  it('takes group: by name and by id, and user: by id', () => {
    const { s } = stackOf(`  byname:\n    command: sleep MARK1\n    user: redis\n    group: www-data\n  byid:\n    command: sleep MARK2\n    user: 102\n    group: 33\n`);
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    for (const name of ['byname', 'byid']) {
      const ids = idsOf(pidOf(s, name));
      expect(ids.uid).toBe('102 102 102 102');
      expect(ids.gid).toBe('33 33 33 33');
      expect(ids.groups.split(' ')).toContain('33');
    }
  });

  it('refuses an unknown user or group, a group without a user, and user: on a compose service, at load (exit 5, file:line:col)', () => {
    const { s } = stackOf(`  web:\n    command: sleep MARK\n    user: no-such-user\n`);
    const unknown = stack(['apply', '--yes', '-f', s.file], { cwd: s.dir });
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain('stack.yaml:5:5: services.web.user: no user named "no-such-user" on this machine (in /etc/passwd)');
    expect(existsSync(join(s.dir, '.stack', 'state.json'))).toBe(false);

    s.write(`version: 1\nservices:\n  web:\n    command: sleep 1\n    user: nobody\n    group: no-such-group\n`);
    expect(stack(['validate', '-f', s.file], { cwd: s.dir }).stderr).toContain('stack.yaml:6:5: services.web.group: no group named "no-such-group"');
    s.write(`version: 1\nservices:\n  web:\n    command: sleep 1\n    user: 4242\n`);
    expect(stack(['validate', '-f', s.file], { cwd: s.dir }).stderr).toContain('stack.yaml:5:5: services.web.user: uid 4242 has no entry in /etc/passwd to take its group from (add group:');
    s.write(`version: 1\nservices:\n  web:\n    command: sleep 1\n    user: 4242\n    group: 4242\n`);
    expect(stack(['validate', '-f', s.file], { cwd: s.dir }).code).toBe(0);
    s.write(`version: 1\nservices:\n  web:\n    command: sleep 1\n    group: nogroup\n`);
    const lone = stack(['validate', '-f', s.file], { cwd: s.dir });
    expect(lone.code).toBe(5);
    expect(lone.stderr).toContain('stack.yaml:5:5: services.web.group: group: needs user:');
    s.write(`version: 1\nservices:\n  db:\n    compose: { file: compose.yaml }\n    user: nobody\n`);
    const compose = stack(['validate', '-f', s.file], { cwd: s.dir });
    expect(compose.code).toBe(5);
    expect(compose.stderr).toContain('stack.yaml:5:5: services.db.user: "user" only applies to process services');
  });

  it('restarts the service when its user changes, and the plan says why', () => {
    const { s, m } = stackOf(`  web:\n    command: sleep MARK\n    user: nobody\n`);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const before = pidOf(s, 'web');
    s.write(`version: 1\nservices:\n  web:\n    command: sleep ${m}\n    user: redis\n`);
    const plan = stack(['plan', '-f', s.file]);
    expect(plan.stdout).toContain('spec changed: user');
    expect(plan.stdout).toContain('user: "nobody" → "redis"');
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(pidOf(s, 'web')).not.toBe(before);
    expect(idsOf(pidOf(s, 'web')).uid).toBe('102 102 102 102');
    expect(stack(['plan', '-f', s.file]).stdout).toContain('No changes');
  });

  it('says which folder the user cannot enter when its working directory is closed to it', () => {
    const { s } = stackOf(`  web:\n    command: sleep MARK\n    user: nobody\n    cwd: closed\n`);
    mkdirSync(join(s.dir, 'closed'), { mode: 0o700 });
    const result = stack(['apply', '--yes', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`working directory "${join(s.dir, 'closed')}" is not accessible to nobody; fix its permissions or set cwd:`);
  });

  it('as a caller that is not root: one clear start error, `stack check` says so, nothing half-started', () => {
    const { s, m } = stackOf(`  db:\n    command: sleep MARK\n    user: postgres\n`);
    chownSync(s.dir, NOBODY, NOBODY);
    chownSync(s.file, NOBODY, NOBODY);
    const asNobody = (args: string[]) =>
      spawnSync(process.execPath, [STACK_BIN, ...args, '-f', s.file], {
        uid: NOBODY,
        gid: NOBODY,
        cwd: s.dir,
        env: { PATH: process.env.PATH, HOME: s.dir, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const applied = asNobody(['apply', '--yes']);
    expect(applied.status).toBe(1);
    expect(applied.stderr).toContain('stack runs as uid 65534 and cannot start db as postgres: run stack as root, or remove user:');
    expect(processesWith(`sleep ${m}`)).toEqual([]);
    expect(read(logOf(s, 'db'))).toBe('');
    expect(s.state().services.db?.pid).toBeUndefined();
    const checked = asNobody(['check']);
    expect(checked.status).not.toBe(0);
    expect(checked.stdout).toContain('✗ user        stack runs as uid 65534 and cannot start db as postgres');
  });

  it('starts postgres (which refuses root) as user: postgres; it accepts connections', async () => {
    const bin = '/usr/lib/postgresql/15/bin';
    const data = mkdtempSync(join(tmpdir(), 'stack-pg-'));
    chmodSync(data, 0o755);
    try {
      const pgdata = join(data, 'pg');
      mkdirSync(pgdata, { mode: 0o700 });
      chownSync(pgdata, POSTGRES.uid, POSTGRES.gid);
      chownSync(data, POSTGRES.uid, POSTGRES.gid);
      const init = spawnSync(`${bin}/initdb`, ['-D', pgdata, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { ...POSTGRES, cwd: data, encoding: 'utf8' });
      expect(init.status, init.stderr).toBe(0);
      const port = await freePort();
      const { s } = stackOf(
        `  db:\n    command: [${bin}/postgres, -D, ${pgdata}, -p, "${port}", -k, ${data}, -c, listen_addresses=, -c, fsync=off]\n    user: postgres\n    cwd: ${data}\n    stop: { signal: SIGINT, timeout: 20s }\n    ready: { exec: "pg_isready -q -h ${data} -p ${port}", timeout: 30s }\n`,
      );
      const applied = stack(['apply', '--yes', '-f', s.file]);
      expect(applied.code, `${applied.stderr}\n${read(logOf(s, 'db'))}`).toBe(0);
      expect(idsOf(pidOf(s, 'db')).uid).toBe('101 101 101 101');
      const query = spawnSync('psql', ['-h', data, '-p', String(port), '-U', 'postgres', '-Atc', 'select current_user'], { encoding: 'utf8' });
      expect(query.stdout.trim(), query.stderr).toBe('postgres');
      expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});
