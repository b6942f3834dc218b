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

await build({
  ...shared,
  entryPoints: { cli: 'src/cli/main.ts', lib: 'src/index.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: false,
});
