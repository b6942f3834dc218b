// Bundles the CLI and the library. Commands are split into chunks loaded on demand, so
// `stack --version` and `stack validate` never load execa, xstate or chokidar.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const shared = {
  define: { STACK_VERSION: JSON.stringify(version) },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled CommonJS dependencies (shell-quote, dotenv) call require() for Node built-ins.
  banner: { js: "import { createRequire as __stackRequire } from 'node:module'; const require = __stackRequire(import.meta.url);" },
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

await build({
  ...shared,
  plugins: [zodEnglishOnly],
  entryPoints: { cli: 'src/cli/main.ts', lib: 'src/index.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: false,
});
