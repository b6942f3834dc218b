// Issue 23, "nothing left running": what a service starts outside its process group, a plugin whose
// `status` fails, and a controller stopped with SIGSTOP. Every case runs the built CLI against
// real processes and checks /proc afterwards.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cleanup, lockOf, sleepsWith } from '../support/controller.js';
import { stack } from '../support/stack-cli.js';
import { waitFor } from '../support/wait.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const figures = { escapes: 0, survivors: 0, plugins: 0, stoppedControllers: 0 };
afterAll(() => {
  process.stdout.write(`RELIABILITY ${JSON.stringify({ file: 'nothing-left-running', ...figures })}\n`);
});

/** A number no other test sleeps for: `sleep <marker>` names one test's processes in /proc. */
function sleepMarker(): string {
  return cleanup.marker(`9${Math.floor(Math.random() * 1e8)}`);
}

/** The state letter of /proc/<pid>/stat (R, S, T, Z …), undefined once the process is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

describe('processes that leave the group and clear their environment', () => {
  it('down stops `env -i setsid daemon &` started by a running service', async () => {
    const marker = sleepMarker();
    const fixture = cleanup.scratch(`version: 1\nservices:\n  d:\n    command: ["sh", "-c", "env -i setsid sleep ${marker} & exec sleep 600"]\n`);
    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code, applied.stderr).toBe(0);
    // The daemon is in its own session and group, without the marker variables.
    const [daemon] = await waitFor(() => sleepsWith(marker).length === 1 && sleepsWith(marker), 5000, 'the daemon');
    expect(daemon?.pgid).toBe(daemon?.pid);
    figures.escapes += 1;

    const down = stack(['down', '--yes'], { cwd: fixture.dir });
    expect(down.code, down.stderr).toBe(0);
    const left = sleepsWith(marker);
    figures.survivors += left.length;
    expect(left).toEqual([]);
  });

  it('a start that fails its ready probe leaves nothing running, and nothing is adopted later', async () => {
    const marker = sleepMarker();
    const fixture = cleanup.scratch(
      `version: 1\nservices:\n  r:\n    command: ["sh", "-c", "env -i setsid sleep ${marker} & exec sleep 600"]\n    ready: { tcp: "127.0.0.1:1", timeout: 300ms, interval: 20ms }\n`,
    );
    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('not ready');
    figures.escapes += 1;
    const left = sleepsWith(marker);
    figures.survivors += left.length;
    expect(left).toEqual([]);
  });

  it('a start that exits at once leaves no `setsid` child behind to be adopted by the next run', async () => {
    const marker = sleepMarker();
    const fixture = cleanup.scratch(`version: 1\nservices:\n  e:\n    command: ["sh", "-c", "setsid sleep ${marker} & exit 1"]\n`);
    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain('exited with code 1 right after it started');
    figures.escapes += 1;
    const left = sleepsWith(marker);
    figures.survivors += left.length;
    expect(left).toEqual([]);
    const status = stack(['status'], { cwd: fixture.dir });
    expect(status.stderr).not.toContain('adopted');
  });
});

describe('a plugin whose status command fails', () => {
  it('down calls its stop anyway, and what its start launched is gone', async () => {
    const marker = sleepMarker();
    const fixture = cleanup.scratch('version: 1\nservices:\n  p:\n    plugin: ./plugins/p\n');
    const dir = join(fixture.dir, 'plugins', 'p');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'plugin.yaml'),
      ['name: p', 'lifecycle:', `  start: sleep ${marker} > /dev/null 2>&1 & echo $! > pid`, '  stop: kill "$(cat pid)"; rm -f pid', '  status: echo "cannot tell"; exit 2', 'ignore: [pid]', ''].join('\n'),
    );
    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code, applied.stderr).toBe(0);
    expect(sleepsWith(marker)).toHaveLength(1);

    const down = stack(['down', '--yes'], { cwd: fixture.dir });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).not.toContain('Nothing is running');
    expect(down.stdout).toContain('state unknown: status exited with code 2');
    figures.plugins += 1;
    await waitFor(() => sleepsWith(marker).length === 0, 5000, 'the plugin’s process to end');
  });
});

describe('a controller stopped with SIGSTOP', () => {
  it('down says so, continues it, ends it and stops the services (exit 0, not 7 after two minutes)', async () => {
    const marker = sleepMarker();
    const fixture = cleanup.scratch(`version: 1\nservices:\n  s:\n    command: ["sleep", "${marker}"]\n    stop: { timeout: 1s }\n`);
    const up = stack(['up', '--detach'], { cwd: fixture.dir });
    expect(up.code, up.stderr).toBe(0);
    const controller = await waitFor(() => lockOf(fixture.dir)?.pid, 10_000, 'the controller to hold the lock');
    await waitFor(() => sleepsWith(marker).length === 1, 10_000, 'the service');
    process.kill(controller, 'SIGSTOP');
    await waitFor(() => procState(controller) === 'T', 5000, 'the controller to be stopped');

    const down = stack(['down', '--yes'], { cwd: fixture.dir });
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`the controller (pid ${controller}) is stopped (SIGSTOP or Ctrl+Z)`);
    figures.stoppedControllers += 1;
    expect(['Z', undefined]).toContain(procState(controller));
    expect(sleepsWith(marker)).toEqual([]);
  });
});

describe('a controller stopped with SIGSTOP, asked to restart', () => {
  it('restart says so, continues it, and the controller restarts the service', async () => {
    const marker = sleepMarker();
    const fixture = cleanup.scratch(`version: 1\nservices:\n  s:\n    command: ["sleep", "${marker}"]\n    stop: { timeout: 1s }\n`);
    const up = stack(['up', '--detach'], { cwd: fixture.dir });
    expect(up.code, up.stderr).toBe(0);
    const controller = await waitFor(() => lockOf(fixture.dir)?.pid, 10_000, 'the controller to hold the lock');
    const [first] = await waitFor(() => sleepsWith(marker).length === 1 && sleepsWith(marker), 10_000, 'the service');
    process.kill(controller, 'SIGSTOP');
    await waitFor(() => procState(controller) === 'T', 5000, 'the controller to be stopped');

    const restart = stack(['restart', 's'], { cwd: fixture.dir });
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toContain(`the controller (pid ${controller}) is stopped (SIGSTOP or Ctrl+Z); continuing it`);
    figures.stoppedControllers += 1;
    expect(procState(controller)).not.toBe('T');
    const [second] = await waitFor(() => sleepsWith(marker).length === 1 && sleepsWith(marker), 10_000, 'the restarted service');
    expect(second?.pid).not.toBe(first?.pid);
    const down = stack(['down', '--yes'], { cwd: fixture.dir });
    expect(down.code, down.stderr).toBe(0);
  });
});
