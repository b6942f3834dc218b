// Builds native/ with node-gyp, at `npm ci` / `npm install`: the posix_spawn addon for the
// process provider (stack_spawn.node) and the log relay that frames a service's output into its
// log (stack-log-relay, a small program of its own: it outlives stack).
//
// Optional by design: without a C compiler, Python or Node's headers the build fails, this says
// so in one line, and stack starts processes through node:child_process instead (the same
// behaviour, ~0.6 ms more per service) and relays logs through a Node process (dist/log-relay.cjs,
// the same format at ~40 MiB more memory per service). It never fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const release = join(root, 'native', 'build', 'Release');
const built = ['stack_spawn.node', 'stack-log-relay'];

if (process.platform !== 'linux') {
  console.log(`stack: native spawner skipped (${process.platform}: posix_spawn with setsid and chdir is Linux-only here)`);
  process.exit(0);
}

// npm names the node-gyp it bundles; run by hand, the one beside npm.
const nodeGyp =
  process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const args = [nodeGyp, 'rebuild', '--directory', join(root, 'native'), '--loglevel', 'error'];
// The headers of the running Node, when they are installed beside it: nothing to download.
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push('--nodedir', prefix);

// Bounded: without headers beside Node, node-gyp downloads them, which can hang offline.
const result = existsSync(nodeGyp) ? spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 180_000 }) : undefined;
const missing = built.filter((name) => !existsSync(join(release, name)));
if (result?.status === 0 && missing.length === 0) {
  console.log(`stack: native spawner and log relay built (native/build/Release/${built.join(', ')})`);
} else {
  const why =
    result === undefined
      ? `node-gyp not found at ${nodeGyp}`
      : (result.error?.message ?? (result.status === 0 ? `${missing.join(', ')} missing after the build` : causeOf(`${result.stderr}\n${result.stdout}`)));
  console.log(`stack: native spawner not built, processes start through node:child_process and logs are relayed by Node (${why})`);
}

// The lines that say why (a compiler error, a missing make or header), not node-gyp's boilerplate.
function causeOf(output) {
  const boilerplate = /^gyp ERR! (System|command|cwd|node -v|node-gyp -v|not ok|stack +at )/;
  const lines = output.split('\n').filter((line) => /error/i.test(line) && !/^\s/.test(line) && !boilerplate.test(line));
  return lines.slice(0, 2).join(' | ') || output.trim().split('\n').slice(-3).join(' | ');
}
