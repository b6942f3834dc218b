// The physical floor: what any supervisor must at least pay (a Node process start, N spawns).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, endPid, NODE, now, SLEEP_MARK, timeCommand, track, waitForPorts, writeFile } from '../lib.mjs';

const SPAWNER = new URL('../floor-spawn.mjs', import.meta.url).pathname;

function spawnAll(dir, commands) {
  writeFile(dir, 'floor.json', JSON.stringify(commands));
  const ms = timeCommand([NODE, SPAWNER, dir]);
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.pid'))) track(Number(readFileSync(join(dir, file), 'utf8')));
  return ms;
}

export const floor = {
  name: 'floor',
  available: true,
  version: `node ${process.version}`,

  /** `node floor-spawn.mjs`: spawns N detached sleeps with pid files, measured until it exits. */
  async startSleeps(dir, n) {
    const ms = spawnAll(dir, Array.from({ length: n }, () => ['sleep', SLEEP_MARK]));
    if (countSleeps() !== n) throw new Error(`floor: ${countSleeps()} of ${n} sleeps run`);
    return ms;
  },

  /** The same spawner with N Node servers, then the bench polls until every port accepts. */
  async startHttp(dir, ports, server) {
    const began = now();
    spawnAll(dir, ports.map((port) => [NODE, server, String(port)]));
    await waitForPorts(ports);
    return now() - began;
  },

  async cleanup(dir) {
    const pids = readdirSync(dir).filter((name) => name.endsWith('.pid')).map((file) => Number(readFileSync(join(dir, file), 'utf8')));
    await Promise.all(pids.map((pid) => endPid(pid)));
  },
};
