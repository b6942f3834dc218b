// The CLI through a running controller's API (docs/api.md), and without one: real `stack watch`,
// real socket, real processes.
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, lockOf, sleepsWith, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

const FAST = 'defaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\n';
const twoServices = (m: string) => `version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}1\n  b:\n    command: sleep ${m}2\n    dependsOn: [a]\n`;

/** `stack watch` on `s`, once both services run and its API answers. */
async function watching(s: Scratch, m: string): Promise<number> {
  const watch = cleanup.cli(['watch', '--interval', '10m', '-f', s.file]);
  await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 10_000, 'the "watching" line');
  await waitFor(() => sleepsWith(m).length === 2 && existsSync(join(s.dir, '.stack', 'api.sock')), 10_000, 'both services and the API');
  return watch.pid;
}

const shortest = (path: string): string => (relative(process.cwd(), path).length < path.length ? relative(process.cwd(), path) : path);

/** A status row without what only stack itself looks at (who owns the ports). */
// Port owners, CPU, memory and uptime are read at other times by each (cpu only by a controller, over its tick).
const withoutReadings = ({ portsOpen: _open, portOwners: _owners, cpu: _cpu, memory: _memory, uptime: _uptime, ...row }: Record<string, unknown>) => row;

function statusBody(file: string): { project: string; notice?: string; services: Record<string, unknown>[] } {
  const result = stack(['status', '--json', '-f', file]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { project: string; notice?: string; services: Record<string, unknown>[] };
}

describe('the CLI under a controller', () => {
  it('status --json through the controller equals the daemonless one; a stale socket leaves every command working daemonless', async () => {
    const m = marker();
    const s = cleanup.scratch(twoServices(m));
    const pid = await watching(s, m);
    const through = statusBody(s.file);
    expect(through.notice).toMatch(new RegExp(`pid ${pid} \\(\`stack watch\``));
    // kill -9: the socket file stays, nobody listens on it; the services keep running.
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), 5000, 'the controller to die');
    expect(existsSync(join(s.dir, '.stack', 'api.sock'))).toBe(true);
    const here = statusBody(s.file);
    expect(here.notice).toBeUndefined();
    expect({ ...through, notice: undefined, services: through.services.map(withoutReadings) }).toEqual({ ...here, services: here.services.map(withoutReadings) });

    for (const args of [['status'], ['plan', '--detailed-exitcode'], ['logs', '-n', '1'], ['apply', '--yes'], ['restart', 'a'], ['stop', 'b']]) {
      const result = stack([...args, '--file', s.file]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stderr, args.join(' ')).not.toMatch(/controller|api\.sock/);
    }
  });

  it('a stopped controller (SIGSTOP) is said in one line, and status answers daemonless', async () => {
    const m = marker();
    const s = cleanup.scratch(twoServices(m));
    const pid = await watching(s, m);
    process.kill(pid, 'SIGSTOP');
    try {
      const result = stack(['status', '-f', s.file]);
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines.filter((line) => /does not answer/.test(line))).toEqual([
        // The socket as the CLI names paths: relative to its folder when that is shorter (CI's clone sits beside the scratch stacks).
        `warning: the controller (pid ${pid}) does not answer on ${shortest(join(s.dir, '.stack', 'api.sock'))}; showing what stack observes itself`,
      ]);
      expect(result.stdout).toMatch(/^a +process +running +running/m);
      const json = stack(['status', '--json', '-f', s.file]);
      expect(json.code).toBe(0);
      expect((JSON.parse(json.stdout) as { services: { name: string; observed: string }[] }).services.map((row) => [row.name, row.observed])).toEqual([['a', 'running'], ['b', 'running']]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('events --json follows the controller: a kill -9 is exited, restarting, running again', async () => {
    const m = marker();
    const s = cleanup.scratch(twoServices(m));
    const pid = await watching(s, m);
    const events = cleanup.cli(['events', '--json', '-f', s.file]);
    await events.waitForStdout(/"type":"following"/, 10_000, 'the following line');
    const a = sleepsWith(`${m}1`)[0]?.pid as number;
    process.kill(a, 'SIGKILL');
    await events.waitForStdout(/"type":"running","service":"a"|"service":"a".*"type":"running"/, 10_000, "a's restart");
    const seen = events.stdout().trim().split('\n').map((line) => JSON.parse(line) as { formatVersion: number; type: string; service?: string; pid?: number });
    expect(seen[0]).toMatchObject({ formatVersion: 1, type: 'following', pid });
    expect(seen.every((event) => event.formatVersion === 1)).toBe(true);
    const ofA = seen.filter((event) => event.service === 'a' && ['exited', 'restarting', 'running'].includes(event.type)).map((event) => event.type);
    expect(ofA).toEqual(['exited', 'restarting', 'running']);
    // Ctrl+C ends it, exit 0.
    events.child.kill('SIGINT');
    expect((await events.done).code).toBe(0);
  });

  it('a stack.yaml that does not load gives exit 5 with its line and column, as without a controller, though the controller keeps the last good one running', async () => {
    const m = marker();
    const s = cleanup.scratch(twoServices(m));
    await watching(s, m);
    s.write(`${twoServices(m)}  c:\n    command: 42\n`);
    await waitFor(() => stack(['status', '-f', s.file]).code === 5, 10_000, 'the controller to see the file not load');
    for (const args of [['status'], ['status', '--json'], ['status', 'a'], ['plan'], ['plan', '--json']]) {
      const result = stack([...args, '-f', s.file]);
      expect(result.code, args.join(' ')).toBe(5);
      // --json says it as JSON (the same as without a controller), the table as `file:line:col`.
      if (args.includes('--json')) expect(JSON.parse(result.stderr)).toMatchObject({ error: { code: 5 } });
      else expect(result.stderr, args.join(' ')).toMatch(/stack\.yaml:\d+:\d+/);
      expect(result.stdout, args.join(' ')).toBe('');
    }
    expect(sleepsWith(m)).toHaveLength(2);
    s.write(twoServices(m));
    await waitFor(() => stack(['status', '-f', s.file]).code === 0, 10_000, 'the file to load again');
  });

  it('events without a controller: one error line with a hint, exit 1', () => {
    const s = cleanup.scratch('version: 1\nservices: {}\n');
    const result = stack(['events', '-f', s.file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: no controller answers for this stack: there are no events to follow\nhint: `stack up` or `stack watch` starts one; `stack events --since 1h` prints what the last one kept\n');
    const bad = stack(['events', '--since', 'yesterday', '-f', s.file]);
    expect([bad.code, bad.stderr]).toEqual([1, 'error: --since takes a duration (10m, 2h) or a time (2026-12-05T08:00:00Z), got "yesterday"\n']);
  });

  it('events --since: the kept events first, of the named services; after the controller ends, what it kept, from .stack/events.log', async () => {
    const m = marker();
    const s = cleanup.scratch(twoServices(m));
    const pid = await watching(s, m);
    process.kill(sleepsWith(`${m}1`)[0]?.pid as number, 'SIGKILL');
    await waitFor(() => sleepsWith(`${m}1`).length === 1, 10_000, 'a restarted');
    const typesOf = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; service?: string }).filter((event) => event.type !== 'phase');
    await waitFor(() => typesOf(stack(['events', 'a', '--since', '10m', '--no-follow', '--json', '-f', s.file]).stdout).some((event) => event.type === 'running'), 10_000, "a's restart kept");
    const kept = stack(['events', 'a', '--since', '10m', '--no-follow', '--json', '-f', s.file]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(typesOf(kept.stdout).map((event) => `${event.type} ${event.service}`)).toEqual(['exited a', 'restarting a', 'running a']);
    // Following: the kept events, then `following`.
    const follow = cleanup.cli(['events', '--since', '10m', '--json', '-f', s.file]);
    await follow.waitForStdout(/"type":"following"/, 10_000, 'the following line');
    const followed = follow.stdout().trim().split('\n').map((line) => JSON.parse(line) as { type: string; service?: string });
    expect(followed.findIndex((event) => event.type === 'exited' && event.service === 'a')).toBeLessThan(followed.findIndex((event) => event.type === 'following'));
    follow.child.kill('SIGINT');
    await follow.done;

    process.kill(pid, 'SIGINT');
    await waitFor(() => !isAlive(pid), 10_000, 'the controller to end');
    const after = stack(['events', 'a', '--since', '10m', '--json', '-f', s.file]);
    expect(after.code, after.stderr).toBe(0);
    expect(typesOf(after.stdout).map((event) => `${event.type} ${event.service}`)).toEqual(['exited a', 'restarting a', 'running a']);
    expect(after.stderr).toBe('');
    const human = stack(['events', '--since', '10m', '-f', s.file]);
    expect(human.stdout).toMatch(/ a was killed by SIGKILL\n.* a restarting \(restart 1 of 5\)\n/);
    expect(human.stderr).toBe('no controller runs: these are the events the last one kept, nothing more to follow\n');
    expect(stack(['events', '--since', '2099-01-01T00:00:00Z', '--no-follow', '-f', s.file]).stdout).toBe('');
  });

  it('apply under a controller is carried out by it: exit 0, never 7 (waits on the server routes)', async () => {
    const m = marker();
    const s = cleanup.scratch(twoServices(m));
    const pid = await watching(s, m);
    const dry = stack(['apply', '--yes', '-f', s.file]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('No changes.');
    s.write(`${twoServices(m)}  c:\n    command: sleep ${m}3\n`);
    const result = stack(['apply', '--yes', '--json', '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ formatVersion: 1, outcome: { failed: 0 } });
    expect(lockOf(s.dir)?.pid).toBe(pid);
  });
});
