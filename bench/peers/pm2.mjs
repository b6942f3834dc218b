// pm2 (the devDependency), always with a private PM2_HOME inside the round's temp folder, so a
// user's ~/.pm2 is never touched. Every round starts cold: no daemon until `pm2 start`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { countSleeps, endPid, NODE, now, run, SLEEP_MARK, timeCommand, track, waitForPorts, waitUntil, writeFile } from '../lib.mjs';

const require = createRequire(import.meta.url);

function locate() {
  try {
    const manifest = require.resolve('pm2/package.json');
    return { bin: join(manifest, '..', 'bin', 'pm2'), version: JSON.parse(readFileSync(manifest, 'utf8')).version };
  } catch {
    return undefined;
  }
}

const found = locate();
const home = (dir) => join(dir, 'pm2-home');
const env = (dir) => ({ ...process.env, PM2_HOME: home(dir), PM2_DISCRETE_MODE: 'true', NO_COLOR: '1' });
const pm2 = (dir, ...args) => [NODE, found.bin, ...args];
const opts = (dir) => ({ env: env(dir) });

function daemonPid(dir) {
  const file = join(home(dir), 'pm2.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

function jlist(dir) {
  const result = run(pm2(dir, 'jlist'), opts(dir));
  const text = result.stdout;
  const start = text.indexOf('[');
  return { ms: result.ms, apps: start < 0 ? [] : JSON.parse(text.slice(start)) };
}

const online = (dir) => jlist(dir).apps.filter((app) => app.pm2_env?.status === 'online').length;

function ecosystem(dir, apps) {
  return writeFile(dir, 'ecosystem.json', JSON.stringify({ apps }));
}

const sleepApps = (n) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, script: 'sleep', args: [SLEEP_MARK], interpreter: 'none', autorestart: false }));

function start(dir, apps) {
  timeCommand(pm2(dir, 'start', ecosystem(dir, apps)), opts(dir));
  track(daemonPid(dir));
}

export const pm2Peer = {
  name: 'pm2',
  available: Boolean(found),
  skipReason: found ? undefined : 'pm2 is not installed (npm install)',
  version: found?.version,

  /** Cold `pm2 start ecosystem.json`, then `pm2 jlist` until all N are online. */
  async startSleeps(dir, n) {
    const began = now();
    start(dir, sleepApps(n));
    while (online(dir) < n) {
      /* poll again */
    }
    const ms = now() - began;
    if (countSleeps() !== n) throw new Error(`pm2 shows ${n} online but ${countSleeps()} sleeps run`);
    return ms;
  },

  async status(dir, n) {
    const { ms, apps } = jlist(dir);
    if (apps.length !== n) throw new Error(`pm2 jlist shows ${apps.length} of ${n}`);
    return ms;
  },

  async stopAll(dir) {
    return timeCommand(pm2(dir, 'stop', 'all'), opts(dir));
  },

  /** Cold `pm2 start` of N Node servers (fork mode), then the bench polls until every port accepts. */
  async startHttp(dir, ports, server) {
    const apps = ports.map((port, i) => ({ name: `h${i}`, script: server, args: [String(port)], autorestart: false }));
    const began = now();
    start(dir, apps);
    await waitForPorts(ports);
    return now() - began;
  },

  async crash(dir, script, starts) {
    start(dir, [{ name: 'crash', script, interpreter: 'bash', autorestart: true, restart_delay: 0, min_uptime: 100, max_restarts: 100000 }]);
    await waitUntil(starts, { timeoutMs: 60_000, what: 'pm2 restarts' });
  },

  async controllerPid(dir, n) {
    start(dir, sleepApps(n));
    await waitUntil(() => countSleeps() === n && online(dir) === n, { timeoutMs: 60_000, what: 'pm2 online' });
    return daemonPid(dir);
  },

  /** `pm2 monit`, its dashboard (a full-screen blessed view), over this folder's daemon: run it on a terminal. */
  monitCommand(dir) {
    // In colour, as people see it (the other pm2 commands run with NO_COLOR).
    const { NO_COLOR: _noColor, ...rest } = env(dir);
    return { argv: pm2(dir, 'monit'), env: rest };
  },

  async cleanup(dir) {
    if (!existsSync(home(dir))) return;
    const pid = daemonPid(dir);
    run(pm2(dir, 'kill'), opts(dir));
    if (pid) await endPid(pid);
  },
};
