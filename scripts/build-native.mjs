// Builds native/ (posix_spawn for the process provider) with node-gyp, at `npm ci` / `npm install`.
//
// Optional by design: without a C compiler, Python or Node's headers the build fails, this says
// so in one line, and stack starts processes through node:child_process instead (the same
// behaviour, ~0.6 ms more per service). It never fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'native', 'build', 'Release', 'stack_spawn.node');

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
if (result?.status === 0 && existsSync(addon)) {
  console.log('stack: native spawner built (native/build/Release/stack_spawn.node)');
} else {
  const why = result === undefined ? `node-gyp not found at ${nodeGyp}` : (result.error?.message ?? causeOf(`${result.stderr}\n${result.stdout}`));
  console.log(`stack: native spawner not built, processes start through node:child_process (${why})`);
}

// The lines that say why (a compiler error, a missing make or header), not node-gyp's boilerplate.
function causeOf(output) {
  const boilerplate = /^gyp ERR! (System|command|cwd|node -v|node-gyp -v|not ok|stack +at )/;
  const lines = output.split('\n').filter((line) => /error/i.test(line) && !/^\s/.test(line) && !boilerplate.test(line));
  return lines.slice(0, 2).join(' | ') || output.trim().split('\n').slice(-3).join(' | ');
}
