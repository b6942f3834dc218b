// Exec services through the built binary, as a user runs them: a real redis-server, and what an
// unlucky stack.yaml does (a stop that fails, a program that is missing, a secret it prints).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { itWith } from '../support/binaries.js';
import { isAlive, stack, tempStack, waitFor } from '../support/stack-cli.js';
import { freePort } from '../providers/helpers.js';

const made: ReturnType<typeof tempStack>[] = [];
afterEach(() => {
  for (const s of made.splice(0)) {
    stack(['down', '--yes', '-f', s.file]);
    // A stop that refused (on purpose) leaves its sleeper: ended by the pid its start wrote.
    for (const pidFile of ['app.pid', 'redis.pid'].map((name) => join(s.dir, name))) {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    s.cleanup();
  }
});

function scratch(lines: string[]): ReturnType<typeof tempStack> {
  const s = tempStack(['version: 1', 'services:', ...lines, ''].join('\n'));
  made.push(s);
  return s;
}

const SLEEPER = [
  '      shell: true',
  '      start: "sleep 300 > /dev/null 2>&1 & echo $$! > app.pid"',
  '      status: "test -f app.pid && kill -0 $$(cat app.pid)"',
];

const statusOf = (file: string) => JSON.parse(stack(['status', '--json', '-f', file]).stdout).services[0] as { observed: string; detail?: string };

describe('stack with an exec service (built binary)', () => {
  it('applies it with its start command, sees it running by status, and brings it down with stop', () => {
    const s = scratch(['  app:', '    exec:', ...SLEEPER, '      stop: "kill $$(cat app.pid) && rm app.pid"']);
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    const pid = Number(readFileSync(join(s.dir, 'app.pid'), 'utf8'));
    expect(isAlive(pid)).toBe(true);
    expect(statusOf(s.file)).toMatchObject({ observed: 'running' });
    expect(stack(['plan', '-f', s.file]).stdout).toMatch(/no changes|nothing to do/i);
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(isAlive(pid)).toBe(false);
    // Down again: status says stopped, so stop (whose kill would fail now) is not run.
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
  });

  itWith(['redis-server', 'redis-cli'], 'runs a real redis-server: apply, status, a restart on an edit, down', async () => {
    const port = String(await freePort());
    const s = scratch([]);
    const redis = (extra: string) => [
      'version: 1',
      'services:',
      '  cache:',
      '    exec:',
      `      start: [redis-server, --daemonize, "yes", --port, "${port}", --bind, 127.0.0.1, --pidfile, ./redis.pid, --logfile, ./redis.log, --save, "", --appendonly, "no"${extra}]`,
      `      stop: [redis-cli, -p, "${port}", shutdown, nosave]`,
      `      status: [redis-cli, -p, "${port}", ping]`,
      `    ready: { tcp: ${port} }`,
      '',
    ].join('\n');
    const cli = (...args: string[]) => spawnSync('redis-cli', ['-p', port, ...args], { encoding: 'utf8' });
    s.write(redis(''));
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(cli('set', 'k', 'v').stdout.trim()).toBe('OK');
    expect(statusOf(s.file)).toMatchObject({ observed: 'running' });
    expect(stack(['plan', '--detailed-exitcode', '-f', s.file]).code).toBe(0);
    const first = Number(readFileSync(join(s.dir, 'redis.pid'), 'utf8'));

    // An edit restarts it: stop, then start once status says it stopped (the port is free again).
    s.write(redis(', --maxmemory, "64mb"'));
    const restarted = stack(['apply', '--yes', '-f', s.file]);
    expect(restarted.code, restarted.stdout + restarted.stderr).toBe(0);
    expect(restarted.stdout).toMatch(/cache stopped[\s\S]*cache started/);
    await waitFor(() => { const pid = existsSync(join(s.dir, 'redis.pid')) && Number(readFileSync(join(s.dir, 'redis.pid'), 'utf8')); return pid && pid !== first; }, 5000, 'a new pid file'); // (a file still empty reads as 0: not yet)
    expect(isAlive(first)).toBe(false);
    expect(cli('config', 'get', 'maxmemory').stdout).toContain(String(64 * 1024 * 1024));

    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(cli('ping').status).not.toBe(0);
    expect(statusOf(s.file)).toMatchObject({ observed: 'stopped' });
  });

  it('keeps a service whose stop fails recorded as running, and says why', () => {
    const s = scratch(['  app:', '    exec:', ...SLEEPER, '      stop: "echo cannot stop now; exit 1"']);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const down = stack(['down', '--yes', '--json', '-f', s.file]);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.stdout).outcome.services[0]).toMatchObject({ status: 'failed', error: 'stop exited with code 1: cannot stop now', exitCode: 1 });
    expect(s.state().services.app).toMatchObject({ stoppedByUs: false });
    expect(statusOf(s.file)).toMatchObject({ observed: 'running' });
  });

  it('says where a missing program is written, in one line without a stack trace', () => {
    const s = scratch(['  app:', '    exec:', '      start: [no-such-program-xyz, --daemon]', '      stop: ["true"]', '      status: ["false"]']);
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('✗ app install + start failed: stack.yaml:5:7: start: executable "no-such-program-xyz" not found on PATH');
    expect(applied.stderr).not.toMatch(/\n\s+at /);
    const check = stack(['check', '-f', s.file]);
    expect(check.stdout + check.stderr).toContain('app: stack.yaml:5:7: start: executable "no-such-program-xyz" not found on PATH');
  });

  it('never shows a sensitive value: not in logs, errors, --json or state.json', () => {
    const secret = 'hunter2-very-secret';
    const s = scratch([
      '  app:',
      '    sensitive: [TOKEN]',
      '    exec:',
      `      env: { TOKEN: "${secret}" }`,
      '      shell: true',
      '      start: "echo token is $$TOKEN; echo $$TOKEN >&2; exit 4"',
      '      stop: "true"',
      '      status: "echo $$TOKEN; false"',
    ]);
    const applied = stack(['apply', '--yes', '--json', '-f', s.file]);
    expect(applied.code).toBe(1);
    expect(JSON.parse(applied.stdout).outcome.services[0]).toMatchObject({ error: 'start exited with code 4: (sensitive)', logTail: ['token is (sensitive)', '(sensitive)'] });
    const logs = stack(['logs', '--file', s.file]);
    expect(logs.stdout).toContain('token is (sensitive)');
    const everything = [applied.stdout, applied.stderr, logs.stdout, logs.stderr, stack(['status', '--json', '-f', s.file]).stdout, readFileSync(join(s.dir, '.stack', 'state.json'), 'utf8')].join('\n');
    expect(everything).not.toContain(secret);
  });
});
