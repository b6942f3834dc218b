// Starts that fail under a controller (`stack watch`, `stack up`), on real processes: retried
// through the restart policy like a crash, given up on with the real count and reason, and given
// a new chance by an edit of any part of the service (`ready` included), `restart` or `down`.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, rowOf, sleepsWith, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await cleanup.run();
});

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

/** A port something listens on (kept open until the test ends), or, with `keep: false`, one nothing does. */
async function port(keep = true): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: number } = server.address() as { port: number };
  if (keep) servers.push(server);
  else await new Promise((resolve) => server.close(resolve));
  return number;
}

async function watch(s: Scratch) {
  const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
  await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
  return controller;
}

type GiveUpRecord = { gaveUp?: boolean; gaveUpAfter?: number; restarts: number };
const recordOf = (s: Scratch, name: string) => s.state().services[name] as GiveUpRecord | undefined;

describe('first starts that fail, under a controller', () => {
  it('a first start that exits before it is ready is retried by the policy; once up, what needs it starts', async () => {
    const m = marker();
    // The first run exits before its `ready` log line; the second one prints it and stays up.
    const flaky = `if [ -f tried ]; then echo up; exec sleep ${m}; fi; touch tried; exit 1`;
    const s = cleanup.scratch(
      `version: 1\nservices:\n  db:\n    command: [sh, -c, "${flaky}"]\n    ready: { log: up, timeout: 5s }\n    restart: { maxRestarts: 5, backoff: { initial: 50ms, max: 100ms } }\n  web:\n    command: sleep ${m}\n    dependsOn: [db]\n`,
    );
    const controller = await watch(s);
    expect(controller.stderr()).toMatch(/db install \+ start failed: exited with code 1 during start .*; retrying \(restart 1 of 5\)/);
    expect(controller.stderr()).not.toMatch(/not restarted/);
    await waitFor(() => rowOf(s.file, 'db')?.observed === 'running', 8000, 'db to run after its retry');
    // web was skipped by the first pass (its dependency failed); the retry's success starts it.
    await waitFor(() => rowOf(s.file, 'web')?.observed === 'running', 8000, 'web to start once db is up');
    expect(sleepsWith(m)).toHaveLength(2);
    await controller.waitForStderr(/reconciling \(db started on a retry\): install web, start web/, 5000, 'the pass that starts web');
    expect(controller.stderr()).toContain('db restarting (restart 1 of 5)');
    expect(controller.stderr()).toContain('db running (a retry of its failed start)');
  });

  it('a start that is never ready gives up after maxRestarts, saying so truly; an edit of `ready` alone is a new chance', async () => {
    const m = marker();
    const [closed, open] = [await port(false), await port()];
    const service = (probe: number) =>
      `version: 1\nservices:\n  api:\n    command: sleep ${m}\n    ready: { tcp: "127.0.0.1:${probe}", timeout: 300ms, interval: 50ms }\n    restart: { maxRestarts: 2, backoff: { initial: 50ms, max: 100ms } }\n`;
    const s = cleanup.scratch(service(closed));
    const controller = await watch(s);
    const gaveUp = await controller.waitForStderr(/api keeps failing to start: gave up after 2 restarts \(restart\.maxRestarts is 2\); last start: (.*)\n/, 15_000, 'the give-up');
    expect(gaveUp[1]).toContain(`127.0.0.1:${closed}`);
    expect(controller.stderr().match(/api restarting/g)).toHaveLength(2);
    await waitFor(() => recordOf(s, 'api')?.gaveUp === true, 3000, 'the give-up in the state file');
    expect(recordOf(s, 'api')?.gaveUpAfter).toBe(2);
    // Each start that was never ready was stopped again: nothing is left running.
    expect(sleepsWith(m)).toHaveLength(0);
    const row = rowOf(s.file, 'api');
    expect(row?.observed).toBe('crashed');
    expect(row?.detail).toMatch(/^start failed: .*; gave up after 2 restarts$/);
    expect(stack(['plan', '-f', s.file]).stdout).toContain('! api  gave up after 2 restarts; run stack restart api');

    // The probe was wrong, not the service: pointing it at the right port gives it a new chance,
    // though a changed `ready` never restarts a service that runs.
    s.write(service(open));
    // The pass the edit asks for, or an interval pass that read the edited file first.
    await controller.waitForStderr(/reconciling \((changed: stack\.yaml|interval)\): start api/, 15_000, 'the pass that starts api again');
    await waitFor(() => rowOf(s.file, 'api')?.observed === 'running', 5000, 'api to run');
    expect(sleepsWith(m)).toHaveLength(1);
    expect(recordOf(s, 'api')?.gaveUp).toBe(false);
  });

  it('with maxRestarts 0 a failed start is not retried, and the message says that is why', async () => {
    const s = cleanup.scratch(`version: 1\nservices:\n  once:\n    command: [sh, -c, "exit 4"]\n    ready: { log: never, timeout: 2s }\n    restart: { maxRestarts: 0 }\n`);
    const controller = await watch(s);
    await controller.waitForStderr(/once failed to start: not restarted \(restart\.maxRestarts is 0\); last start: exited with code 4 during start/, 5000, 'the give-up');
    expect(controller.stderr()).not.toMatch(/once restarting/);
  });

  it('stack restart hands a failed start that gave up to the controller, which starts it again', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\nservices:\n  late:\n    command: [sh, -c, "test -f ok && echo up && exec sleep ${m}; exit 1"]\n    ready: { log: up, timeout: 2s }\n    restart: { maxRestarts: 1, backoff: { initial: 50ms, max: 50ms } }\n`);
    const controller = await watch(s);
    await controller.waitForStderr(/late keeps failing to start: gave up after 1 restart/, 8000, 'the give-up');
    writeFileSync(join(s.dir, 'ok'), '');
    const restart = stack(['restart', 'late', '-f', s.file]);
    expect(restart.code, restart.stdout + restart.stderr).toBe(0);
    await waitFor(() => rowOf(s.file, 'late')?.observed === 'running', 5000, 'late to run');
    expect(sleepsWith(m)).toHaveLength(1);
  });

  it('down, then apply, gives a service that gave up a new chance', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\nservices:\n  late:\n    command: [sh, -c, "test -f ok && exec sleep ${m}; exit 1"]\n    restart: { maxRestarts: 1, backoff: { initial: 50ms, max: 50ms } }\n`);
    const controller = await watch(s);
    await controller.waitForStderr(/late keeps crashing: gave up after 1 restart/, 8000, 'the give-up');
    await waitFor(() => recordOf(s, 'late')?.gaveUp === true, 3000, 'the give-up in the state file');
    const down = stack(['down', '--yes', '-f', s.file]);
    expect(down.code, down.stderr).toBe(0);
    await waitFor(() => controller.result(), 5000, 'the controller to exit');
    writeFileSync(join(s.dir, 'ok'), '');
    const apply = stack(['apply', '--yes', '-f', s.file]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(rowOf(s.file, 'late')?.observed).toBe('running');
    expect(sleepsWith(m)).toHaveLength(1);
  });

  it('up --detach says the controller keeps trying only of what it retries', () => {
    const m = marker();
    const s = cleanup.scratch(
      `version: 1\nservices:\n  never:\n    command: [sh, -c, "exit 1"]\n    ready: { log: never, timeout: 2s }\n    restart: { maxRestarts: 0 }\n  later:\n    command: [sh, -c, "exit 1"]\n    ready: { log: never, timeout: 2s }\n    restart: { maxRestarts: 5, backoff: { initial: 1m, max: 1m } }\n  nope:\n    command: [sh, -c, "exit 1"]\n    ready: { log: never, timeout: 2s }\n    restart: { policy: "no" }\n  ok:\n    command: sleep ${m}\n`,
    );
    const up = stack(['up', '--detach', '--interval', '1s', '-f', s.file]);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/error: never: exited with code 1 during start/);
    expect(up.stderr).toMatch(/error: later: exited with code 1 during start .*; retrying \(restart 1 of 5\)/);
    expect(up.stderr).toContain('the controller does not retry never: not restarted (restart.maxRestarts is 0) (run `stack restart never` or edit it in stack.yaml)');
    expect(up.stderr).toContain('the controller does not retry nope: not restarted (restart.policy is no) (run `stack restart nope`)');
    expect(up.stderr).not.toMatch(/does not retry later/);
    expect(up.stderr).toContain('it keeps trying the rest');
    expect(stack(['down', '--yes', '-f', s.file]).code).toBe(0);
  });
});
