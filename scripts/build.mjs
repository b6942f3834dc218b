// Bundles the CLI, the library and the dashboard's page.
//
// The CLI is one CommonJS script (dist/cli.cjs) that bin/stack.cjs runs through node:vm with a
// V8 code cache: compiling ~1.7 MB of JavaScript on every start cost more than anything the
// commands do (status of 50 services: 185 ms as lazily loaded ES module chunks, 122 ms from
// the cache). Node 20 offers no code cache for ES modules. Commands are still imported lazily
// (esbuild turns `import()` into deferred initialisers), so a command runs only its own code.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Names what loads stack.yaml: the config, load and model sources, each provider's module (its
// schema keys, resolver and spec fields) and the yaml and zod they run on. A parse cache
// (src/state/parse-cache.ts) written by another build is never used.
const loaderBuild = createHash('sha256');
const hashSource = (path) => loaderBuild.update(path).update(readFileSync(new URL(`../src/${path}`, import.meta.url)));
for (const folder of ['config', 'load', 'model']) {
  for (const name of readdirSync(new URL(`../src/${folder}`, import.meta.url)).sort()) hashSource(`${folder}/${name}`);
}
for (const provider of readdirSync(new URL('../src/providers', import.meta.url), { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()) {
  for (const name of ['module.ts', 'spec.ts']) if (existsSync(new URL(`../src/providers/${provider}/${name}`, import.meta.url))) hashSource(`providers/${provider}/${name}`);
}
hashSource('providers/registry.ts');
hashSource('reconcile/spec.ts');
for (const dependency of ['yaml', 'zod']) {
  loaderBuild.update(readFileSync(new URL(`../node_modules/${dependency}/package.json`, import.meta.url)));
}

const shared = {
  define: { STACK_VERSION: JSON.stringify(version), STACK_LOADER_BUILD: JSON.stringify(loaderBuild.digest('hex').slice(0, 16)) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
};

// zod re-exports every locale (60+ languages) through `z.locales`; stack only ever speaks
// English, so the bundle gets `en` alone: a third less code to compile on every start.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(esbuild) {
    esbuild.onResolve({ filter: /[\\/]locales[\\/]index\.js$/ }, (args) =>
      args.importer.includes(`${'node_modules'}/zod/`) ? { path: 'zod-locales', namespace: 'stack-stub' } : undefined,
    );
    esbuild.onLoad({ filter: /.*/, namespace: 'stack-stub' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';",
      resolveDir: new URL('..', import.meta.url).pathname,
    }));
  },
};

// Two dependencies load a module up front for a feature stack never uses, which cost every
// command its load (measured on `stack status`): dotenv (stack uses its `parse`) loads
// node:crypto for its encrypted vaults (~7 ms), commander loads node:child_process (and with
// it node:net) for executable subcommands (~8 ms). Here each is loaded when first called.
const lazyRequires = [
  { file: /[\\/]dotenv[\\/]lib[\\/]main\.js$/, eager: "const crypto = require('crypto')", name: 'crypto', module: 'crypto', functions: ['createDecipheriv'] },
  { file: /[\\/]commander[\\/]lib[\\/]command\.js$/, eager: "const childProcess = require('node:child_process');", name: 'childProcess', module: 'node:child_process', functions: ['spawn'] },
];
const lazyModules = {
  name: 'lazy-modules',
  setup(esbuild) {
    for (const { file, eager, name, module, functions } of lazyRequires) {
      esbuild.onLoad({ filter: file }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes(eager)) throw new Error(`${args.path} changed: "${eager}" is no longer in it; update scripts/build.mjs`);
        const methods = functions.map((fn) => `${fn}: (...args) => (loaded ??= require('${module}')).${fn}(...args)`).join(', ');
        return { contents: source.replace(eager, `let loaded; const ${name} = { ${methods} };`), loader: 'js' };
      });
    }
  },
};

await build({
  ...shared,
  plugins: [zodEnglishOnly, lazyModules],
  entryPoints: { cli: 'src/cli/main.ts' },
  // `stack mcp` alone needs the MCP SDK (and its ajv, express, hono…): it is required from
  // node_modules when that command runs, not carried in every command's bundle.
  external: ['@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*'],
  outExtension: { '.js': '.cjs' },
  minify: process.env.STACK_BUILD_MINIFY !== "0",
  outdir: 'dist',
  format: 'cjs',
  // A built-in loaded on demand (`await import('node:crypto')`) becomes a require(): a script run
  // through node:vm has no loader for a real import().
  supported: { 'dynamic-import': false },
  // Wrapped here, as Node wraps a CommonJS module, so that bin/stack.cjs runs the file's text
  // as it is instead of holding a second, wrapped copy. bin/stack.cjs also passes the file's URL,
  // which stands for import.meta.url (src/os/native-spawn.ts finds the addon by it).
  banner: { js: '(function (exports, require, module, __filename, __dirname, __stackMetaUrl) {' },
  define: { ...shared.define, 'import.meta.url': '__stackMetaUrl' },
  footer: { js: '\n})' },
});

// bin/stack.cjs copies an all-ASCII bundle into V8 as latin1 instead of decoding it as UTF-8
// (~4 ms of every start). esbuild escapes non-ASCII in strings and identifiers, not in regular
// expression literals (write those with \\u escapes) nor in the comments an unminified build keeps.
if (process.env.STACK_BUILD_MINIFY !== '0') assertAscii('dist/cli.cjs');

// `stack status` while a controller runs (src/cli/fast-status.ts): a few KB that bin/stack.cjs
// runs before the bundle, so the call costs about a Node start, not a Node start and the CLI.
await build({
  ...shared,
  entryPoints: { 'fast-status': 'src/cli/fast-status.ts' },
  outExtension: { '.js': '.cjs' },
  minify: process.env.STACK_BUILD_MINIFY !== "0",
  outdir: 'dist',
  format: 'cjs',
  // `await import('node:net')` stays a require(): a real import() would start the ES module loader (~20 ms).
  supported: { 'dynamic-import': false },
});

// The log relay where native/log-relay.c was not built (src/os/log-relay.ts starts it with
// `node dist/log-relay.cjs 3 4 5`): a few KB, one per running service, outliving stack.
await build({
  ...shared,
  entryPoints: { 'log-relay': 'src/os/log-relay-main.ts' },
  outExtension: { '.js': '.cjs' },
  minify: process.env.STACK_BUILD_MINIFY !== "0",
  outdir: 'dist',
  format: 'cjs',
});

await build({
  ...shared,
  plugins: [zodEnglishOnly, lazyModules],
  entryPoints: { lib: 'src/index.ts' },
  outdir: 'dist',
  format: 'esm',
  // Bundled CommonJS dependencies (shell-quote, dotenv) call require() for Node built-ins.
  banner: { js: "import { createRequire as __stackRequire } from 'node:module'; const require = __stackRequire(import.meta.url);" },
});

// `stack dashboard`'s page (src/dashboard-ui, docs/dashboard.md): Preact and htm bundled for the
// browser into dist/dashboard/, which the dashboard serves as /assets/app.js and /assets/app.css.
// No inline script (the page's CSP is `default-src 'self'`); the CLI never loads it.
const dashboard = new URL('../dist/dashboard/', import.meta.url);
const browser = { bundle: true, platform: 'browser', target: ['es2022', 'chrome100', 'firefox100', 'safari15'], minify: true, outdir: 'dist/dashboard', logLevel: 'warning' };
await build({ ...browser, entryPoints: { app: 'src/dashboard-ui/main.ts' }, format: 'esm' });
await build({ ...browser, entryPoints: { app: 'src/dashboard-ui/app.css' } });
copyFileSync(new URL('../src/dashboard-ui/index.html', import.meta.url), new URL('index.html', dashboard));
const sizes = ['app.js', 'app.css'].map((name) => {
  const bytes = readFileSync(new URL(name, dashboard));
  return `${name} ${(bytes.length / 1024).toFixed(1)} KB (${(gzipSync(bytes, { level: 9 }).length / 1024).toFixed(1)} KB gzip)`;
});
process.stdout.write(`dashboard: ${sizes.join(', ')}\n`);

/** Fails the build when `file` holds a byte outside ASCII, naming where. */
function assertAscii(file) {
  const bytes = readFileSync(new URL(`../${file}`, import.meta.url));
  const at = bytes.findIndex((byte) => byte > 0x7f);
  if (at < 0) return;
  const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
  const around = bytes.subarray(Math.max(0, at - 60), at + 20).toString('utf8');
  throw new Error(`${file}:${line}: a byte outside ASCII (bin/stack.cjs would decode the bundle as UTF-8, ~4 ms slower), near: ${around}`);
}
