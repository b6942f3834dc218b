// The controller's local API (docs/api.md) on a real controller (`stack up --detach`), through connect().
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type EventBody } from '../../src/api/connect.js';
import { Cleanup, lockOf, sleepsWith } from '../support/controller.js';
import { isAlive, stack, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => {
  const m = uniqueMarker();
  cleanup.marker(`sleep ${m}`);
  return m;
};

const FAST = 'defaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\n';

describe('the controller API over .stack/api.sock', () => {
  it('status lists both services running; a kill -9 is told as exited then running again; stop ends the controller', async () => {
    const m = marker();
    const s = cleanup.scratch(`version: 1\n${FAST}services:\n  a:\n    command: sleep ${m}\n  b:\n    command: sleep ${m}\n`);
    const up = stack(['up', '--detach', '--interval', '1s', '-f', s.file]);
    expect(up.code, up.stderr).toBe(0);
    const controllerPid = lockOf(s.dir)?.pid as number;
    const socket = join(s.dir, '.stack', 'api.sock');
    expect(statSync(socket).mode & 0o777).toBe(0o600);

    const api = connect(s.dir);
    const status = await api.status();
    expect(status).toMatchObject({ formatVersion: 1, controller: { pid: controllerPid } });
    expect(status.services.map((row) => [row.name, row.observed])).toEqual([['a', 'running'], ['b', 'running']]);
    const a = status.services.find((row) => row.name === 'a');
    expect(sleepsWith(m).map((proc) => proc.pid)).toContain(a?.pid);

    const seen: EventBody[] = [];
    const events = api.events()[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ formatVersion: 1, type: 'following', pid: controllerPid });
    const following = (async () => {
      for (let next = await events.next(); !next.done; next = await events.next()) {
        // The machine's events; `phase` events (status as observed) come between them.
        if (['exited', 'restarting', 'running'].includes(next.value.type)) seen.push(next.value);
        if (next.value.type === 'running' && 'service' in next.value && next.value.service === 'a') return;
      }
    })();
    process.kill(a?.pid as number, 'SIGKILL');
    await Promise.race([following, waitFor(() => false, 5000, "a's exit and restart on the event stream").catch((error: Error) => { throw new Error(`${error.message}; seen: ${JSON.stringify(seen)}`); })]);
    expect(seen.map((event) => `${event.type} ${'service' in event ? event.service : ''}`)).toEqual(['exited a', 'restarting a', 'running a']);
    expect(seen[0]).toMatchObject({ formatVersion: 1, signal: 'SIGKILL' });
    const again = (await api.status(['a'])).services;
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ name: 'a', observed: 'running', restarts: 1 });
    expect(again[0]?.pid).not.toBe(a?.pid);
    await events.return?.(undefined);

    await api.stop();
    await waitFor(() => !isAlive(controllerPid), 10_000, 'the controller to exit');
    expect(existsSync(socket)).toBe(false);
    await expect(api.status()).rejects.toThrow(/no controller answers/);
  });
});
