import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LOG_RELAY_PROGRAM, spawnerOf, type Addon, type NativeSpawner } from '../../src/os/native-spawn.js';
import { makeTempDir, removeDir } from '../providers/helpers.js';

const release = fileURLToPath(new URL('../../native/build/Release/', import.meta.url));
let dir: string | undefined;
afterEach(async () => {
  await removeDir(dir);
  dir = undefined;
});

/** The real addon, its reap() counted. */
function countingAddon(): { addon: Addon; reaps: () => number } {
  const module = { exports: {} as Addon };
  process.dlopen(module, path.join(release, 'stack_spawn.node'));
  const real = module.exports;
  let reaps = 0;
  const addon: Addon = {
    ...real,
    reap: (pid) => {
      reaps += 1;
      return real.reap(pid);
    },
  };
  return { addon, reaps: () => reaps };
}

/** `count` relays started through `spawner` in turn, appending to `log`. */
async function startRelays(spawner: NativeSpawner, log: number, count: number) {
  const relays = [];
  for (let i = 0; i < count; i++) {
    const pending = spawner.pendingRelay?.(log);
    if (!pending || 'errno' in pending) throw new Error(`no pending relay: ${JSON.stringify(pending)}`);
    const started = await pending.start();
    if ('errno' in started) throw new Error(started.message);
    relays.push({ ...pending, ...started });
  }
  return relays;
}

describe('the native spawner', () => {
  it('asks for each relay it started off-thread once, not for every child after each start', async () => {
    dir = await makeTempDir();
    const { addon, reaps } = countingAddon();
    const spawner = spawnerOf(addon, path.join(release, LOG_RELAY_PROGRAM));
    const log = openSync(path.join(dir, 'out.log'), 'a');
    const count = 150;
    const relays = await startRelays(spawner, log, count);
    closeSync(log);
    // Each start asks for its own relay once on the next turn (a relay that ended before it was waited for).
    await new Promise((resolve) => setImmediate(resolve));
    // Asking for every child after each start was count²/2 (11,250 here).
    expect(reaps()).toBeLessThanOrEqual(count * 2);
    // And each still ends into its SIGCHLD: the service's ends closed, every relay is reaped.
    for (const relay of relays) {
      closeSync(relay.stdout);
      closeSync(relay.stderr);
    }
    const ended = await Promise.all(relays.map((relay) => relay.exited));
    expect(ended.every((exit) => exit.code === 0)).toBe(true);
  });

  it('at each SIGCHLD asks for the children that ended, not for every child it waits for; node:child_process keeps its own', async () => {
    dir = await makeTempDir();
    const { addon, reaps } = countingAddon();
    const spawner = spawnerOf(addon, path.join(release, LOG_RELAY_PROGRAM));
    const log = openSync(path.join(dir, 'out.log'), 'a');
    const count = 100;
    const relays = await startRelays(spawner, log, count);
    closeSync(log);
    await new Promise((resolve) => setImmediate(resolve));
    const before = reaps();
    // A child of node:child_process ends among ours: libuv reaps it, and says so.
    const other = spawn('sh', ['-c', 'exit 3']);
    const otherEnded = new Promise((resolve) => other.once('exit', resolve));
    // One at a time, each waited for: a scan of every waiting child at each SIGCHLD would be
    // 100 + 99 + ... asks (~5,000); one ask per child that ended is 100.
    for (const relay of relays) {
      closeSync(relay.stdout);
      closeSync(relay.stderr);
      expect(await relay.exited).toEqual({ code: 0, signal: null });
    }
    expect(await otherEnded).toBe(3);
    expect(reaps() - before).toBeLessThanOrEqual(count * 3);
  });
});
