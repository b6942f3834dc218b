// node:child_process, behind a module of our own so that runner.ts can load it lazily: a
// dynamic import of a built-in stays an import() in the bundle, which node:vm cannot run.
export { spawn } from 'node:child_process';
