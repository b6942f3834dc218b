#!/usr/bin/env node
// Starts the CLI. `stack --version` is answered before the bundle loads: scripts call it most.
//
// Everything else runs dist/cli.cjs (one CommonJS script, see scripts/build.mjs) through
// node:vm with a V8 code cache, one per command: the bytecode a command compiled is saved on
// its first run and reused, instead of compiling ~1.7 MB of JavaScript on every start. The cache
// lives in dist/.cache (or $XDG_CACHE_HOME/stack, ~/.cache/stack when dist is read-only); its
// name carries the bundle's size and mtime and the Node version, so a rebuild or another Node
// never reuses it, and V8 itself rejects data that does not fit. STACK_NO_CODE_CACHE=1 turns
// it off.
//
// This launcher is CommonJS on purpose: Node runs it without starting its ES module loader,
// which cost ~20 ms of every command (`stack --version`: 152 → 123 ms on the 2-core machine).
const args = process.argv.slice(2);
// The first word that names a command keys the cache: `status` and `apply` compile different code.
const COMMANDS = new Set(['init', 'validate', 'plan', 'apply', 'status', 'logs', 'down', 'watch', 'up', 'restart', 'run', 'add', 'remove', 'check', 'diff', 'sync', 'schema', 'start', 'stop', 'enable', 'disable', 'service']);
const command = args.find((arg) => COMMANDS.has(arg)) ?? 'other';

if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = require('node:fs');
  console.log(JSON.parse(readFileSync(require('node:path').join(__dirname, '..', 'package.json'), 'utf8')).version);
} else if (command === 'status') {
  fastStatusOrBundle();
} else {
  runBundle();
}

/**
 * `stack status` with a controller running is one question to its socket: dist/fast-status.cjs
 * (src/cli/fast-status.ts) asks it without loading the bundle. It answers `undefined` for
 * anything else (no controller, another option), and the bundle runs as usual.
 */
function fastStatusOrBundle() {
  let fast;
  try {
    fast = require('../dist/fast-status.cjs');
  } catch {
    return runBundle();
  }
  fast.fastStatus(args).then(
    (code) => (code === undefined ? runBundle() : (process.exitCode = code)),
    () => runBundle(),
  );
}

function runBundle() {
  if (command === 'watch' || command === 'up') tuneForLongRun();
  const fs = require('node:fs');
  const { Script } = require('node:vm');
  const { createRequire } = require('node:module');
  const path = require('node:path');

  const bundle = path.join(__dirname, '..', 'dist', 'cli.cjs');
  // An all-ASCII bundle (scripts/build.mjs checks the minified one) is copied into V8 as latin1,
  // not decoded as UTF-8: 14 → 10 ms for 1.4 MB in a fresh process here.
  const bytes = fs.readFileSync(bundle);
  const source = require('node:buffer').isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const cache = process.env.STACK_NO_CODE_CACHE ? undefined : cacheFileFor(fs, path, bundle);
  let cachedData;
  if (cache) {
    try {
      cachedData = fs.readFileSync(cache.file);
    } catch {
      // not made yet
    }
  }
  // The bundle is already wrapped as a CommonJS function (scripts/build.mjs): no second copy of ~1.7 MB.
  const script = new Script(source, { filename: bundle, cachedData });
  if (cache && (cachedData === undefined || script.cachedDataRejected)) {
    // Saved at exit, when the bytecode of everything this command ran has been compiled.
    process.once('exit', () => saveCache(fs, path, cache, script));
  }
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle), require('node:url').pathToFileURL(bundle).href);
}

/**
 * `watch` and `up` supervise for days, mostly waiting: memory matters more than peak speed.
 * Before anything is loaded, V8 is told not to grow the young generation past its first size
 * (startup would otherwise grow it to 16 MiB per semi-space, kept for good) and not to
 * optimise with TurboFan (whose compiled code and compiler memory stay resident). Measured with
 * 50 services: 86 → 67 MiB RSS. Both flags are read when V8 decides, so setting them this
 * early takes effect.
 */
function tuneForLongRun() {
  const v8 = require('node:v8');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  v8.setFlagsFromString('--no-opt');
}

function cacheFileFor(fs, path, bundle) {
  let info;
  try {
    info = fs.statSync(bundle);
  } catch {
    return undefined;
  }
  const key = `${info.size}-${Math.trunc(info.mtimeMs)}-${process.version}-${process.arch}`;
  const local = path.join(path.dirname(bundle), '.cache');
  const home = process.env.XDG_CACHE_HOME || (process.env.HOME ? path.join(process.env.HOME, '.cache') : undefined);
  const dir = writable(fs, path.dirname(bundle)) || !home ? local : path.join(home, 'stack');
  return { dir, file: path.join(dir, `cli-${command}-${key}.bin`), key };
}

function writable(fs, dir) {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

// Best effort: a cache that cannot be written only means the next start compiles again.
function saveCache(fs, path, cache, script) {
  // A run a controller carried out (src/cli/through-controller.ts) compiled too little to keep.
  if (globalThis[Symbol.for('stack.skipCodeCache')]) return;
  try {
    fs.mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    const temp = `${cache.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temp, cache.file);
    // Caches of earlier builds or Node versions are never read again.
    for (const name of fs.readdirSync(cache.dir)) {
      if (name.startsWith('cli-') && !name.endsWith(`-${cache.key}.bin`) && !name.endsWith('.tmp')) fs.rmSync(path.join(cache.dir, name), { force: true });
    }
  } catch {
    // read-only or full disk
  }
}
