// stack itself, driven through its CLI exactly as a person would run it.
import { existsSync, readFileSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, endPid, holdsUnder, NODE, now, pidsWhere, run, SLEEP_MARK, STACK, startTracked, timeCommand, waitForPorts, waitUntil, writeFile } from '../lib.mjs';

const PARALLEL = '8';

function services(n, service) {
  return Array.from({ length: n }, (_, i) => `  s${i}:\n${service(i)}`).join('');
}

function writeStack(dir, body, extra = '') {
  return writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\n${extra}services:\n${body}`);
}

const cli = (file, ...args) => [NODE, STACK, '-f', file, ...args];
const controllers = new Map(); // dir → pid of its `stack watch`

export const stack = {
  name: 'stack',
  available: true,
  version: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,

  /**
   * `start.settle: 0ms`: started means spawned, as for the peers (supervisord runs with
   * `startsecs=0`, pm2 never waits). `settle` overrides it (stack's default is 100ms).
   */
  sleepsFile(dir, n, settle = '0ms') {
    return writeStack(dir, services(n, () => `    command: [sleep, "${SLEEP_MARK}"]\n`), `defaults:\n  start: { settle: ${settle} }\n`);
  },

  /** `stack apply --yes` from nothing: returns once every service is started. */
  async startSleeps(dir, n, settle) {
    const ms = timeCommand(cli(this.sleepsFile(dir, n, settle), 'apply', '--yes', '--parallel', PARALLEL));
    if (countSleeps() !== n) throw new Error(`stack apply returned with ${countSleeps()} of ${n} sleeps running`);
    return ms;
  },

  async status(dir, n) {
    const result = run(cli(join(dir, 'stack.yaml'), 'status', '--json'));
    if (result.status !== 0) throw new Error(`stack status failed: ${result.stderr}`);
    const running = JSON.parse(result.stdout).services.filter((s) => s.observed === 'running').length;
    if (running !== n) throw new Error(`stack status shows ${running} of ${n} running`);
    return result.ms;
  },

  async stopAll(dir) {
    return timeCommand(cli(join(dir, 'stack.yaml'), 'down', '--yes', '--parallel', PARALLEL));
  },

  /** `stack apply --yes`, then the bench polls until every port accepts. */
  async startHttp(dir, ports, server) {
    const file = writeStack(dir, services(ports.length, (i) => `    command: ["${NODE}", "${server}", "${ports[i]}"]\n`));
    const began = now();
    timeCommand(cli(file, 'apply', '--yes', '--parallel', PARALLEL));
    await waitForPorts(ports);
    return now() - began;
  },

  /** Runs `stack watch` on a fresh stack (so the controller spawns the services itself). */
  async watch(dir, body, until) {
    const file = writeStack(dir, body);
    const log = openSync(join(dir, 'watch.log'), 'a');
    const controller = startTracked(cli(file, 'watch', '--parallel', PARALLEL), { stdio: ['ignore', log, log] });
    closeSync(log);
    controllers.set(dir, controller.pid);
    await waitUntil(until, { timeoutMs: 60_000, what: 'stack watch' });
    return controller.pid;
  },

  async crash(dir, script, starts) {
    const body = `  crash:\n    command: [bash, "${script}"]\n    restart: { policy: always, maxRestarts: 100000, backoff: { initial: 0ms, max: 0ms, reset: 1h } }\n`;
    await this.watch(dir, body, starts);
  },

  /** RSS of the `stack watch` controller once it has started N sleeps. */
  async controllerPid(dir, n) {
    return this.watch(dir, services(n, () => `    command: [sleep, "${SLEEP_MARK}"]\n`), () => countSleeps() === n);
  },

  /** The log relay of every service (stack-log-relay, one per service), found by its log under `dir`. */
  helperPids(dir) {
    return pidsWhere((comm, _ppid, pid) => comm === 'stack-log-relay' && holdsUnder(pid, dir));
  },
  helpers: 'controller + log relays',

  /** Ends the controller first (on SIGTERM it leaves services running), then `stack down`. */
  async cleanup(dir) {
    const controller = controllers.get(dir);
    controllers.delete(dir);
    if (controller) await endPid(controller);
    const file = join(dir, 'stack.yaml');
    if (existsSync(join(dir, '.stack'))) run(cli(file, 'down', '--yes', '--parallel', PARALLEL));
  },
};

/** stack with its default 100ms settle check (an exit that soon fails the apply): start only. */
export const stackDefaultSettle = {
  ...stack,
  name: 'stack (settle 100ms)',
  status: undefined,
  startSleeps(dir, n) {
    return stack.startSleeps.call(this, dir, n, '100ms');
  },
};
