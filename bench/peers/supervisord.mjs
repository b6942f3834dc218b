// supervisord (Debian package `supervisor`), run in the foreground as our own child with our OWN
// config file and a unix socket in the round's temp folder; the system config is never read.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, endPid, ensureDebianPackage, now, run, SLEEP_MARK, startTracked, timeCommand, waitForPorts, waitUntil, writeFile } from '../lib.mjs';

const skipReason = ensureDebianPackage('supervisor', ['supervisord', 'supervisorctl']);
const version = skipReason ? undefined : run(['supervisord', '--version']).stdout.trim();
const daemons = new Map(); // dir → child

function config(dir, programs) {
  const sections = programs.map(
    ({ name, command, autorestart = false }) =>
      `[program:${name}]\ncommand=${command}\nautostart=true\nstartsecs=0\nstartretries=100000\nautorestart=${autorestart}\n` +
      `redirect_stderr=true\nstdout_logfile=${join(dir, `${name}.log`)}\n`,
  );
  return writeFile(
    dir,
    'supervisord.conf',
    `[unix_http_server]\nfile=${join(dir, 'supervisor.sock')}\n\n` +
      `[supervisord]\nnodaemon=true\nsilent=true\nuser=root\nlogfile=${join(dir, 'supervisord.log')}\npidfile=${join(dir, 'supervisord.pid')}\nchildlogdir=${dir}\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[supervisorctl]\nserverurl=unix://${join(dir, 'supervisor.sock')}\n\n${sections.join('\n')}`,
  );
}

const ctl = (dir, ...args) => ['supervisorctl', '-c', join(dir, 'supervisord.conf'), ...args];

function running(dir) {
  const result = run(ctl(dir, 'status'));
  return { ms: result.ms, status: result.status, count: result.stdout.split('\n').filter((line) => /\sRUNNING\s/.test(line)).length };
}

/** Starts supervisord with these programs (autostart) and waits for its socket. */
async function start(dir, programs) {
  config(dir, programs);
  const child = startTracked(['supervisord', '-c', join(dir, 'supervisord.conf')]);
  daemons.set(dir, child);
  await waitUntil(() => existsSync(join(dir, 'supervisor.sock')), { timeoutMs: 20_000, intervalMs: 2, what: 'supervisord socket' });
  return child.pid;
}

const sleepPrograms = (n) => Array.from({ length: n }, (_, i) => ({ name: `s${i}`, command: `sleep ${SLEEP_MARK}` }));

export const supervisordPeer = {
  name: 'supervisord',
  available: !skipReason,
  skipReason,
  version,

  /** Cold: start supervisord with N autostart programs (startsecs=0), then `supervisorctl status` until all RUNNING. */
  async startSleeps(dir, n) {
    const began = now();
    await start(dir, sleepPrograms(n));
    while (running(dir).count < n) {
      /* poll again */
    }
    const ms = now() - began;
    if (countSleeps() !== n) throw new Error(`supervisord shows ${n} RUNNING but ${countSleeps()} sleeps run`);
    return ms;
  },

  async status(dir, n) {
    const { ms, count } = running(dir);
    if (count !== n) throw new Error(`supervisorctl status shows ${count} of ${n} RUNNING`);
    return ms;
  },

  async stopAll(dir) {
    return timeCommand(ctl(dir, 'stop', 'all'));
  },

  async startHttp(dir, ports, server) {
    const began = now();
    await start(dir, ports.map((port, i) => ({ name: `h${i}`, command: `${process.execPath} ${server} ${port}` })));
    await waitForPorts(ports);
    return now() - began;
  },

  async crash(dir, script, starts) {
    await start(dir, [{ name: 'crash', command: `bash ${script}`, autorestart: true }]);
    await waitUntil(starts, { timeoutMs: 60_000, what: 'supervisord restarts' });
  },

  async controllerPid(dir, n) {
    const pid = await start(dir, sleepPrograms(n));
    await waitUntil(() => countSleeps() === n, { timeoutMs: 60_000, what: 'supervisord programs' });
    return pid;
  },

  async cleanup(dir) {
    const child = daemons.get(dir);
    daemons.delete(dir);
    if (child?.pid) await endPid(child.pid, 10_000);
  },
};
