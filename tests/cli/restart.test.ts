// `stack restart` with no names and `--rolling` (issue 29, point 6), on real processes, with and
// without a controller. Each service writes what happens to it to one file, in the order it
// happens: `up` when it starts, `ready` just before its `ready` probe can pass, `down` when its
// stop signal reaches it. Replaying that file tells which services were down at every moment.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnCli, stack, waitFor, type CliResult } from '../support/stack-cli.js';
import { Cleanup, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await cleanup.run();
});

// a <- b <- c, and d, which needs nothing and is stopped before each restart.
const SERVICES = { a: [], b: ['a'], c: ['b'], d: [] } as const;

const script = (name: string) =>
  `echo up ${name} >> events; trap "echo down ${name} >> events; exit 0" TERM; sleep 0.3; echo ready ${name} >> events; echo ready; while :; do sleep 0.1; done`;

const yaml = (m: string) =>
  [
    'version: 1',
    'services:',
    ...Object.entries(SERVICES).flatMap(([name, deps]) => [
      `  ${name}:`,
      `    command: [sh, -c, '${script(name)}', svc-${m}]`,
      '    ready: { log: ready, timeout: 10s }',
      '    stop: { timeout: 2s }',
      ...(deps.length > 0 ? [`    dependsOn: [${deps.join(', ')}]`] : []),
    ]),
    '',
  ].join('\n');

/** The events file from `from` (a line count) on. */
const eventsOf = (s: Scratch, from = 0) => readFileSync(join(s.dir, 'events'), 'utf8').split('\n').filter(Boolean).slice(from);

/** The most services down at once over `events` (down from `down` until `ready`). */
function mostDownAtOnce(events: readonly string[]): number {
  const down = new Set<string>();
  let most = 0;
  for (const event of events) {
    const [what, name] = event.split(' ') as [string, string];
    if (what === 'down') down.add(name);
    if (what === 'ready') down.delete(name);
    most = Math.max(most, down.size);
  }
  return most;
}

const pids = (s: Scratch) => Object.fromEntries(Object.entries(s.state().services).map(([name, record]) => [name, record.pid]));

interface Mode {
  name: string;
  begin(s: Scratch): Promise<void>;
}

const daemonless: Mode = {
  name: 'without a controller',
  async begin(s) {
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
  },
};

const controller: Mode = {
  name: 'under stack watch',
  async begin(s) {
    // A long interval: nothing moves but what the commands ask for.
    const watch = cleanup.cli(['watch', '--interval', '10m', '-f', s.file]);
    await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 10_000, 'the "watching" line');
    await waitFor(() => existsSync(join(s.dir, '.stack', 'api.sock')), 10_000, "the controller's API");
    await waitFor(() => ['a', 'b', 'c', 'd'].every((name) => eventsOf(s).includes(`ready ${name}`)), 15_000, 'every service to be ready');
  },
};

/** Every service up and ready, then d stopped: the restart begins from the events after that. */
async function prepare(mode: Mode): Promise<{ s: Scratch; before: Record<string, number | undefined>; from: number }> {
  const m = cleanup.marker(uniqueMarker());
  const s = cleanup.scratch(yaml(m));
  await mode.begin(s);
  const stopped = stack(['stop', 'd', '-f', s.file]);
  expect(stopped.code, stopped.stderr).toBe(0);
  expect(eventsOf(s)).toContain('down d');
  return { s, before: pids(s), from: eventsOf(s).length };
}

function expectRestarted(s: Scratch, before: Record<string, number | undefined>, result: CliResult): void {
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(result.stderr).not.toMatch(/handing the restart|is reconciling this stack/);
  const after = pids(s);
  for (const name of ['a', 'b', 'c']) {
    expect(after[name], name).toBeGreaterThan(0);
    expect(after[name], name).not.toBe(before[name]);
  }
  // What was stopped stays stopped.
  expect(after.d).toBeUndefined();
}

describe.each([daemonless, controller])('stack restart $name', (mode) => {
  it('with no names restarts every running service: stops dependents first, starts dependencies first, each ready before what needs it', async () => {
    const { s, before, from } = await prepare(mode);
    const result = stack(['restart', '-f', s.file]);
    expectRestarted(s, before, result);
    expect(eventsOf(s, from)).toEqual(['down c', 'down b', 'down a', 'up a', 'ready a', 'up b', 'ready b', 'up c', 'ready c']);
    expect(result.stdout).toMatch(/~ c\s+stop[\s\S]*~ b\s+stop[\s\S]*~ a\s+stop[\s\S]*~ a\s+start[\s\S]*~ b\s+start[\s\S]*~ c\s+start/);
    expect(result.stdout).toContain('Plan: 3 to restart.');
    expect(result.stdout).not.toMatch(/\bd\s+(stop|start)/);
  });

  it('--rolling restarts one service at a time: at most one is down at any moment, each ready before the next stops', async () => {
    const { s, before, from } = await prepare(mode);
    const result = stack(['restart', '--rolling', '-f', s.file]);
    expectRestarted(s, before, result);
    const events = eventsOf(s, from);
    expect(events).toEqual(['down a', 'up a', 'ready a', 'down b', 'up b', 'ready b', 'down c', 'up c', 'ready c']);
    expect(mostDownAtOnce(events)).toBe(1);
    expect(result.stdout).toMatch(/~ a\s+stop[\s\S]*~ a\s+start[\s\S]*~ b\s+stop[\s\S]*~ b\s+start[\s\S]*~ c\s+stop[\s\S]*~ c\s+start/);
    expect(result.stdout).toContain('Plan: 3 to restart, one at a time.');
  });

  it('--rolling with names rolls only those, dependencies first whatever order they were named in', async () => {
    const { s, before, from } = await prepare(mode);
    const result = stack(['restart', '--rolling', 'c', 'a', '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(eventsOf(s, from)).toEqual(['down a', 'up a', 'ready a', 'down c', 'up c', 'ready c']);
    expect(pids(s).b).toBe(before.b);
  });

  it('with nothing running says so and exits 0', async () => {
    const { s } = await prepare(mode);
    for (const name of ['c', 'b', 'a']) expect(stack(['stop', name, '-f', s.file]).code).toBe(0);
    const from = eventsOf(s).length;
    const result = stack(['restart', '-f', s.file]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('Nothing to restart: no service is running.\n');
    expect(eventsOf(s, from)).toEqual([]);
  });
});

describe('stack restart and an older controller', () => {
  /** An API on `.stack/api.sock` as a controller before `restart-all` answers: no `controller.can`; every request it gets is noted. */
  async function olderController(s: Scratch): Promise<string[]> {
    const heard: string[] = [];
    const server = createServer((request, response) => {
      heard.push(`${request.method} ${request.url}`);
      response.setHeader('content-type', 'application/json');
      if (request.url?.startsWith('/v1/status')) return response.end(JSON.stringify({ formatVersion: 1, project: 'p', controller: { pid: 1 }, services: [] }));
      response.statusCode = 400;
      response.end(JSON.stringify({ formatVersion: 1, error: { message: 'services must name at least one service', exitCode: 1 } }));
    });
    servers.push(server);
    mkdirSync(join(s.dir, '.stack'), { recursive: true, mode: 0o700 });
    await new Promise<void>((resolve) => server.listen(join(s.dir, '.stack', 'api.sock'), resolve));
    return heard;
  }

  it.each([[['restart']], [['restart', '--rolling', 'a']]])('%j is refused in one line before anything is asked of it, exit 1', async (args) => {
    const s = cleanup.scratch(yaml(cleanup.marker(uniqueMarker())));
    const heard = await olderController(s);
    const result = await spawnCli([...args, '-f', s.file]).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: the running controller \(pid 1\) is older than this stack and cannot restart (without names|--rolling)\n/);
    expect(heard).toEqual(['GET /v1/status']);
  });
});
