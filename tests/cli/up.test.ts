// `stack up` on real processes: foreground dev mode with Ctrl+C teardown, and --detach.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, processesWith, stack, STACK_BIN, waitFor } from '../support/stack-cli.js';
import { Cleanup, lockOf, rowOf, sleepsWith } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  cleanup.marker(`talker.js ${m}`);
  return m;
};

const FAST = 'defaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\n';
const TALKER = "console.log('hello from talker ' + process.argv[2]); setInterval(() => {}, 1000);";

describe('stack up on real processes', () => {
  it('streams prefixed logs; SIGINT stops every service and the controller, exit 0', async () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\n${FAST}services:\n  talker:\n    command: [node, talker.js, "${m}"]\n  sleeper:\n    command: sleep ${m}\n    dependsOn: [talker]\n`,
      { 'talker.js': TALKER },
    );
    const up = cleanup.cli(['up', '--interval', '1s', '-f', s.file]);
    await up.waitForStderr(/stack is up \(pid \d+\)/, 10_000, 'the "stack is up" line');
    await up.waitForStdout(new RegExp(`^talker\\s*\\| hello from talker ${m}$`, 'm'), 5000, "talker's line, prefixed");
    expect(processesWith(`talker.js ${m}`)).toHaveLength(1);
    expect(sleepsWith(m)).toHaveLength(1);
    expect(lockOf(s.dir)).toMatchObject({ pid: up.pid, command: 'stack up' });

    up.child.kill('SIGINT');
    const result = await up.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopping every service in reverse order/);
    expect(processesWith(`talker.js ${m}`)).toHaveLength(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
    expect(isAlive(up.pid)).toBe(false);
    expect(lockOf(s.dir)).toBeUndefined();
    expect(rowOf(s.file, 'talker')?.observed).not.toBe('running');
  });

  it('a second SIGINT kills what is still stopping and exits 130', async () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\n${FAST}services:\n  stubborn:\n    command: [sh, -c, "trap '' TERM; sleep ${m} & wait"]\n    stop: { timeout: 20s }\n  plain:\n    command: sleep ${m}\n    dependsOn: [stubborn]\n`,
    );
    const up = cleanup.cli(['up', '--interval', '1s', '-f', s.file]);
    await up.waitForStderr(/stack is up \(pid \d+\)/, 10_000, 'the "stack is up" line');
    await waitFor(() => sleepsWith(m).length === 2, 5000, 'both sleeps');
    up.child.kill('SIGINT');
    // plain stops at once; stubborn ignores SIGTERM and would take its 20 s stop timeout.
    await up.waitForStderr(/plain stopped/, 5000, 'plain to stop');
    expect(sleepsWith(m)).toHaveLength(1);
    up.child.kill('SIGINT');
    const result = await waitFor(() => up.result(), 5000, 'up to quit after the second SIGINT');
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('killing every service now');
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);
  });

  it('--detach returns once converged with a background `stack watch`; down stops it all', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const up = stack(['up', '--detach', '--interval', '1s', '-f', s.file]);
    expect(up.code, up.stderr).toBe(0);
    const announced = up.stdout.match(/controller running in the background \(pid (\d+)/);
    expect(announced).not.toBeNull();
    const controllerPid = Number(announced?.[1]);
    expect(sleepsWith(m)).toHaveLength(2);
    expect(rowOf(s.file, 'a')?.observed).toBe('running');
    expect(rowOf(s.file, 'b')?.observed).toBe('running');
    expect(lockOf(s.dir)).toMatchObject({ pid: controllerPid, command: 'stack watch' });
    expect(isAlive(controllerPid)).toBe(true);

    // It supervises: a killed service comes back.
    const a = rowOf(s.file, 'a');
    process.kill(a?.pid as number, 'SIGKILL');
    await waitFor(() => { const r = rowOf(s.file, 'a'); return r?.observed === 'running' && r.pid !== a?.pid; }, 5000, 'a to be restarted by the background controller');

    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`stopping the controller: pid ${controllerPid}`);
    await waitFor(() => !isAlive(controllerPid), 5000, 'the background controller to exit');
    expect(sleepsWith(m)).toHaveLength(0);
    expect(lockOf(s.dir)).toBeUndefined();
  });

  it('--detach waits past a half-written controller.json (it reads it while the controller writes it)', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n`);
    mkdirSync(join(s.dir, '.stack'), { recursive: true, mode: 0o700 });
    writeFileSync(join(s.dir, '.stack', 'controller.json'), '{"pid":');
    const up = stack(['up', '--detach', '--interval', '1s', '-f', s.file]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('internal error');
    expect(sleepsWith(m)).toHaveLength(1);
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
  });

  it('--detach exits non-zero when a service cannot start', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  fine:\n    command: sleep ${m}\n  ghost:\n    command: no-such-binary-${m} --flag\n`);
    const up = stack(['up', '--detach', '--interval', '1s', '-f', s.file]);
    expect(up.code, up.stderr).not.toBe(0);
    expect(up.code).not.toBeNull();
    expect(up.stderr).toContain(`no-such-binary-${m}`);
    expect(up.stderr).toMatch(/not converged/);
    expect(sleepsWith(m)).toHaveLength(1);
  });

  it('down of some services while `stack up` runs is refused and stops nothing (up would stop them all)', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const up = cleanup.cli(['up', '--interval', '1s', '-f', s.file]);
    await up.waitForStderr(/stack is up \(pid \d+\)/, 10_000, 'the "stack is up" line');
    const down = stack(['down', 'a', '--yes', '-f', s.file]);
    expect(down.code).toBe(7);
    expect(down.stderr).toContain('`stack stop a`');
    expect(up.result()).toBeUndefined();
    expect(sleepsWith(m)).toHaveLength(2);
  });

  it('a closed terminal (SIGHUP) stops every service and the controller, as Ctrl+C does, and exits 129', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n`);
    const up = cleanup.cli(['up', '--interval', '1s', '-f', s.file]);
    await up.waitForStderr(/stack is up \(pid \d+\)/, 10_000, 'the "stack is up" line');
    expect(sleepsWith(m)).toHaveLength(1);
    up.child.kill('SIGHUP');
    const result = await up.done;
    expect(result.code, result.stderr).toBe(129);
    expect(sleepsWith(m)).toHaveLength(0);
    expect(lockOf(s.dir)).toBeUndefined();
  });

  it('a closed output (`stack up | head -1`) is a closed terminal: every service stops, exit 129', () => {
    const m = marker();
    const chatty = "setInterval(() => console.log('tick ' + process.argv[2]), 50);";
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  talker:\n    command: [node, talker.js, "${m}"]\n  a:\n    command: sleep ${m}\n`, { 'talker.js': chatty });
    // head exits after the first line; the next log line stack streams fails with EPIPE.
    const result = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${STACK_BIN}" up --interval 1s -f "${s.file}" 2>&1 | head -1`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(129);
    expect(sleepsWith(m)).toHaveLength(0);
    expect(processesWith(`talker.js ${m}`)).toHaveLength(0);
    expect(lockOf(s.dir)).toBeUndefined();
  });

  it('--detach reports a service that exits right after it starts, and one never ready, each naming it once; exits 1', () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\nservices:\n  bad:\n    command: [sh, -c, "echo boom; exit 3"]\n    restart: { policy: "no" }\n    start: { settle: 3s }\n  ok:\n    command: sleep ${m}\n  logwait:\n    command: sleep ${m}\n    ready: { log: never-said, timeout: 500ms }\n    restart: { policy: "no" }\n`,
    );
    const up = stack(['up', '--detach', '--interval', '1s', '-f', s.file]);
    expect(up.code).toBe(1);
    expect(up.stdout + up.stderr).toContain('exited with code 3 right after it started');
    expect(up.stderr).toMatch(/^error: logwait: not ready: log \/never-said\//m);
    expect(up.stderr).not.toContain('logwait: logwait:');
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
  });
});
