// s6 (Debian package `s6`, skarnet's supervision suite in C): each round gets its own scan
// directory in the round's temp folder, one service directory per service with an executable
// `run`, and an `s6-svscan` of it started by the bench as a tracked child, which starts one
// `s6-supervise` per service. No system scan directory is touched.
//
// s6-supervise pauses 1 s before it restarts a service that died without having been ready for
// a second (2.11.x: "if it is not ready when it dies, s6-supervise will always pause for 1 second
// before spawning it again"); readiness is the service writing a newline to the descriptor named
// in ./notification-fd. The crash scenario's s6 service does that and lives 1.2 s, so s6
// restarts it at once; `s6Throttled` (no readiness) measures the pause itself. See METHOD.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, endPid, ensureDebianPackage, now, pidsWhere, run, SLEEP_MARK, startTracked, timeCommand, track, waitUntil } from '../lib.mjs';

const skipReason = ensureDebianPackage('s6', ['s6-svscan', 's6-supervise', 's6-svc', 's6-svstat', 's6-svwait', 's6-svscanctl']);
const version = skipReason ? undefined : run(['dpkg-query', '-W', '-f', '${Version}', 's6']).stdout.trim() || 'unknown version';
const daemons = new Map(); // dir → s6-svscan child

const scanDir = (dir) => join(dir, 'scan');
const names = (n) => Array.from({ length: n }, (_, i) => `s${i}`);

/** One service directory per { name, run } (the text of ./run), plus any other files it names. */
function writeServices(dir, services) {
  const scan = scanDir(dir);
  for (const { name, run: text, files = {} } of services) {
    mkdirSync(join(scan, name), { recursive: true });
    writeFileSync(join(scan, name, 'run'), text, { mode: 0o755 });
    for (const [file, content] of Object.entries(files)) writeFileSync(join(scan, name, file), content);
  }
  return scan;
}

const sleepServices = (n) => names(n).map((name) => ({ name, run: `#!/bin/sh\nexec sleep ${SLEEP_MARK}\n` }));

/** `s6-svscan <scan>` as our own child: it starts one s6-supervise per service directory. */
function start(dir, services) {
  const child = startTracked(['s6-svscan', writeServices(dir, services)]);
  daemons.set(dir, child);
  return child.pid;
}

/** Waits, with s6's own tool, until every service is up (s6-svwait -u -a). */
async function waitAllUp(dir, n) {
  const dirs = names(n).map((name) => join(scanDir(dir), name));
  // s6-svwait reads supervise/status, which each s6-supervise writes as it starts: wait for the
  // files (a stat each), then let s6-svwait wait for the `u` events (it never polls).
  await waitUntil(() => dirs.every((service) => existsSync(join(service, 'supervise', 'status'))), { timeoutMs: 20_000, intervalMs: 1, what: 's6-supervise to start' });
  timeCommand(['s6-svwait', '-u', '-a', '-t', '20000', ...dirs]);
}

/** Every s6-supervise that this s6-svscan started. */
const supervisors = (svscan) => pidsWhere((comm, ppid) => ppid === svscan && comm === 's6-supervise');

/**
 * Tracks them too (lib's sweep ends tracked pids): were s6-svscan killed (Ctrl+C), an s6-supervise
 * left behind would keep restarting its service.
 */
function trackSupervisors(dir) {
  const pid = daemons.get(dir)?.pid;
  if (pid) for (const each of supervisors(pid)) track(each);
}

// A shell loop over the service directories: s6-svc and s6-svstat take one service directory each.
const eachService = (dir, command) => ['sh', '-c', `for d in "$0"/*/; do ${command} "$d" || exit 1; done`, scanDir(dir)];

export const s6Peer = {
  name: 's6',
  available: !skipReason,
  skipReason,
  version,

  /** Cold: start `s6-svscan` on N service directories, then `s6-svwait -u -a` on all of them. */
  async startSleeps(dir, n) {
    const began = now();
    start(dir, sleepServices(n));
    await waitAllUp(dir, n);
    const ms = now() - began;
    trackSupervisors(dir);
    if (countSleeps() !== n) throw new Error(`s6 shows ${n} up but ${countSleeps()} sleeps run`);
    return ms;
  },

  /** `s6-svstat` of every service directory (a shell loop: one s6-svstat each). */
  async status(dir, n) {
    const result = run(eachService(dir, 's6-svstat'));
    if (result.status !== 0) throw new Error(`s6-svstat failed: ${result.stderr}`);
    const up = result.stdout.split('\n').filter((line) => line.startsWith('up ')).length;
    if (up !== n) throw new Error(`s6-svstat shows ${up} of ${n} up`);
    return result.ms;
  },

  /**
   * `s6-svscanctl -t <scan>`: s6's one command that stops every service (each s6-supervise sends
   * its service SIGTERM, then exits, then s6-svscan does). It returns at once; the scenario times
   * until every sleep is gone. `s6SvcEach` is the other way, which keeps the supervision tree.
   */
  async stopAll(dir) {
    return timeCommand(['s6-svscanctl', '-t', scanDir(dir)]);
  },

  /** The crash script as ./run, declaring readiness on fd 3 and living 1.2 s (see the header). */
  crashScript: { lives: 1.2, readyFd: 3 },

  async crash(dir, script, starts) {
    const readyFd = this.crashScript.readyFd;
    const pid = start(dir, [{ name: 'crash', run: readFileSync(script, 'utf8'), files: readyFd ? { 'notification-fd': `${readyFd}\n` } : {} }]);
    await waitUntil(() => supervisors(pid).length === 1, { timeoutMs: 20_000, what: 's6-supervise to start' });
    trackSupervisors(dir);
    await waitUntil(starts, { timeoutMs: 60_000, what: 's6 restarts' });
  },

  /** s6-svscan's pid once all N sleeps run (its s6-supervise children: `helperPids`). */
  async controllerPid(dir, n) {
    const pid = start(dir, sleepServices(n));
    await waitUntil(() => countSleeps() === n && supervisors(pid).length === n, { timeoutMs: 60_000, what: 's6 services' });
    trackSupervisors(dir);
    return pid;
  },

  /** The rest of the supervision tree: one s6-supervise per service. */
  helperPids(dir, controller) {
    return supervisors(controller);
  },
  helpers: 's6-svscan + each s6-supervise',
  controllerLabel: 's6-svscan alone',

  /** `s6-svscanctl -t` (the tree ends: every service, then every s6-supervise, then s6-svscan), then by pid. */
  async cleanup(dir) {
    const child = daemons.get(dir);
    daemons.delete(dir);
    if (!child?.pid) return;
    const left = supervisors(child.pid);
    run(['s6-svscanctl', '-t', scanDir(dir)]);
    await endPid(child.pid, 10_000);
    // Only if s6-svscan had to be killed: its s6-supervise children would be orphans.
    await Promise.all(left.map((pid) => endPid(pid, 2000)));
  },
};

/** s6 stopping every service with `s6-svc -d` on each service directory; s6-svscan and the s6-supervise stay. */
export const s6SvcEach = {
  ...s6Peer,
  name: 's6 (s6-svc -d each)',
  rows: ['stop'], // its start and status are s6's
  async stopAll(dir) {
    return timeCommand(eachService(dir, 's6-svc -d'));
  },
};

/** s6 without readiness: a service that crashes after 200 ms, as for the others, meets its 1 s pause. */
export const s6Throttled = {
  ...s6Peer,
  name: 's6 (no readiness: its 1 s pause)',
  crashScript: {},
};

s6Peer.variants = { sleeps: [s6SvcEach], crash: [s6Throttled] };
