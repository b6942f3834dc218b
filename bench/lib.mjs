// Small helpers for the benchmarks: timing, statistics, temp folders, process bookkeeping.
// Every process the bench starts is tracked by pid and ended by pid (never by name).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const NODE = process.execPath;

const ADDON = 'native/build/Release/stack_spawn.node';
const RELAY = 'native/build/Release/stack-log-relay';

/**
 * The bench runs its own copy of bin/, dist/ and the native addon (node_modules linked), taken
 * once at start, so a rebuild by someone else mid-run cannot break or change what is measured.
 */
function snapshot() {
  const dir = mkdtempSync(join(tmpdir(), 'stack-bench-snapshot-'));
  if (!existsSync(join(ROOT, 'dist/cli.cjs')) || !existsSync(join(ROOT, 'dist/lib.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (or `npm run bench`, which builds)');
  }
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // The posix_spawn addon and the log relay beside it, where `npm ci` built them: without them
  // stack falls back to child_process and to the relay in Node.
  for (const file of [ADDON, RELAY]) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  mkdirSync(join(dir, 'tmp'));
  return dir;
}

export const SNAPSHOT = snapshot();
export const STACK = join(SNAPSHOT, 'bin/stack.cjs');
export const STACK_LIB = join(SNAPSHOT, 'dist/lib.js');

/** A number no other program uses as `sleep`'s argument, so our sleeps are found by pid and cmdline. */
export const SLEEP_MARK = String(900000 + (process.pid % 90000));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarise(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

export const now = () => performance.now();

/** Runs a command to completion; returns { ms, status, stdout, stderr }. */
export function run(argv, options = {}) {
  const began = now();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
  const ms = now() - began;
  return { ms, status: result.status, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), error: result.error };
}

/** The path of a command on PATH, or undefined. */
export function which(name) {
  const result = run(['sh', '-c', `command -v ${name}`]);
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Installs a Debian package with apt-get when one of its commands is missing (we run as root on
 * Debian); waits for another apt-get's lock. Returns why the peer must be skipped, or undefined.
 */
export function ensureDebianPackage(pkg, commands) {
  if (commands.every(which)) return undefined;
  if (process.getuid?.() !== 0) return `${commands[0]} is not installed and we are not root (apt-get install ${pkg})`;
  if (!which('apt-get')) return `${commands[0]} is not installed and there is no apt-get`;
  console.error(`installing ${pkg} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['apt-get', '-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', pkg];
  let result = run(install, { env });
  if (result.status !== 0) {
    run(['apt-get', '-o', 'DPkg::Lock::Timeout=120', 'update'], { env });
    result = run(install, { env });
  }
  return commands.every(which) ? undefined : `apt-get install ${pkg} failed: ${result.stderr.slice(-300)}`;
}

/** Wall time of one command, in milliseconds; throws when it fails. */
export function timeCommand(argv, options = {}) {
  const result = run(argv, options);
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr || result.stdout.slice(-500) || result.error}`);
  return result.ms;
}

// ---- temp folders ----------------------------------------------------------------------------

const tempDirs = [SNAPSHOT];

export function tempDir(prefix = 'stack-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs() {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function writeFile(dir, name, text) {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

// ---- processes ---------------------------------------------------------------------------------

const tracked = new Set();

/** Starts a long-lived process (a daemon, a controller) and remembers its pid for clean-up. */
export function startTracked(argv, options = {}) {
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', ...options });
  if (child.pid) tracked.add(child.pid);
  child.on('exit', () => tracked.delete(child.pid));
  return child;
}

export function track(pid) {
  if (Number.isInteger(pid) && pid > 0) tracked.add(pid);
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

export function signal(pid, sig = 'SIGTERM') {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the pid is gone. */
export async function endPid(pid, graceMs = 3000) {
  if (!alive(pid)) return tracked.delete(pid);
  signal(pid, 'SIGTERM');
  const deadline = now() + graceMs;
  while (alive(pid) && now() < deadline) await sleep(10);
  if (alive(pid)) signal(pid, 'SIGKILL');
  while (alive(pid)) await sleep(10);
  tracked.delete(pid);
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Pids of processes we started for the bench: our marked sleeps and anything running from our temp folders. */
export function benchPids() {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const argv = cmdline(pid);
    const ours = (argv[0]?.endsWith('sleep') && argv[1] === SLEEP_MARK) || tempDirs.some((dir) => argv.some((arg) => arg.startsWith(dir)));
    if (ours && alive(pid)) pids.push(pid);
  }
  return pids;
}

export function countSleeps() {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = cmdline(Number(entry));
    if (argv[0]?.endsWith('sleep') && argv[1] === SLEEP_MARK && alive(Number(entry))) count += 1;
  }
  return count;
}

/** Ends every process the bench started that is still there (used between subjects and on exit). */
export async function sweep() {
  const pids = [...new Set([...tracked, ...benchPids()])].filter(alive);
  for (const pid of tracked) if (!alive(pid)) tracked.delete(pid);
  await Promise.all(pids.map((pid) => endPid(pid, 2000)));
  return pids.length;
}

/** Last resort on failure or Ctrl+C: SIGKILL by pid, synchronously. */
export function sweepNow() {
  for (const pid of new Set([...tracked, ...benchPids()])) signal(pid, 'SIGKILL');
}

export function rssKiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** Proportional set size: the process's private pages plus its share of each page it shares. */
export function pssKiB(pid) {
  const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** Pids whose /proc/<pid>/stat satisfies `test(comm, ppid)` (comm is the 15-byte process name). */
export function pidsWhere(test) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (test(comm, ppid, Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Whether `pid` holds a descriptor open on a path under `dir`. */
export function holdsUnder(pid, dir) {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/`);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

export async function waitUntil(check, { timeoutMs = 30_000, intervalMs = 5, what = 'condition' } = {}) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

// ---- ports -------------------------------------------------------------------------------------

export function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls every port until each accepts a connection (each port is left alone once it did). */
export async function waitForPorts(ports, timeoutMs = 60_000) {
  const pending = new Set(ports);
  await waitUntil(
    async () => {
      const results = await Promise.all([...pending].map(async (port) => [port, await portOpen(port)]));
      for (const [port, open] of results) if (open) pending.delete(port);
      return pending.size === 0;
    },
    { timeoutMs, intervalMs: 5, what: `${pending.size} ports` },
  );
}

export async function waitForPortsClosed(ports, timeoutMs = 20_000) {
  await waitUntil(async () => !(await Promise.all(ports.map(portOpen))).some(Boolean), { timeoutMs, intervalMs: 20, what: 'ports to close' });
}

// ---- workloads ---------------------------------------------------------------------------------

/** A Node HTTP server on the port given as its argument. */
export const HTTP_SERVER = `import { createServer } from 'node:http';
createServer((request, response) => response.end('ok')).listen(Number(process.argv[2]), '127.0.0.1');
`;

/**
 * A service that crashes: it appends "start <epoch ms> <pid>" to starts.log, lives 200 ms, appends
 * "exit <epoch ms>" to exits.log and exits 1. bash's $EPOCHREALTIME gives microseconds without a fork.
 * `lives` (seconds) and `readyFd` (a descriptor to write one newline to once started: s6's
 * readiness notification) are for the peers whose restart depends on them (bench/peers/s6.mjs).
 */
export function crashScript(dir, { lives = 0.2, readyFd } = {}) {
  return writeFile(
    dir,
    'crash.sh',
    `#!/bin/bash
echo "$EPOCHREALTIME $$" >> ${join(dir, 'starts.log')}
${readyFd === undefined ? '' : `echo >&${readyFd}\n`}sleep ${lives}
echo "$EPOCHREALTIME" >> ${join(dir, 'exits.log')}
exit 1
`,
  );
}

export function readTimes(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split(' ')[0]) * 1000);
}

/** Restart gaps in ms: exit i → start i+1. */
export function restartGaps(dir) {
  const starts = readTimes(join(dir, 'starts.log'));
  const exits = readTimes(join(dir, 'exits.log'));
  const gaps = [];
  for (let i = 0; i < exits.length && i + 1 < starts.length; i += 1) gaps.push(starts[i + 1] - exits[i]);
  return gaps;
}

export function machineDescription() {
  const cpu = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim();
  const cores = execFileSync('nproc').toString().trim();
  const kernel = execFileSync('uname', ['-r']).toString().trim();
  const spawner = existsSync(join(SNAPSHOT, ADDON)) ? 'posix_spawn (native addon)' : 'node:child_process (the native addon is not built)';
  return { cores, cpu, node: process.version, kernel, platform: process.platform, spawner };
}
