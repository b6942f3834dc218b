import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Two projects (issue 34). `unit`: every test file under tests/{model,reconcile,config,load}/ and
// every *.property.test.ts, unless it imports node:child_process or a tests/support helper that
// starts processes (stack-cli, controller, docker, git-repo, terminal, dashboard, mcp, binaries,
// browser). They run in-process, so they share worker threads, without isolation (none of them
// changes process-wide state: no process.env writes, chdir, mocks or fake timers). `process`:
// everything else, in forked processes, one fresh process per file, as before.
// `npx vitest list --project unit` shows which files the rule picks.
const UNIT_FOLDERS = ['model', 'reconcile', 'config', 'load'];
const STARTS_PROCESSES = /from '(node:child_process|execa)'|support\/(stack-cli|controller|docker|git-repo|terminal|dashboard|mcp|binaries|browser)\.js'/;

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const unitFiles = readdirSync(join(ROOT, 'tests'), { recursive: true, encoding: 'utf8' })
  .map((file) => join('tests', file))
  .filter((file) => UNIT_FOLDERS.some((folder) => file.startsWith(`tests/${folder}/`) && file.endsWith('.test.ts')) || file.endsWith('.property.test.ts'))
  .filter((file) => !STARTS_PROCESSES.test(readFileSync(join(ROOT, file), 'utf8')));

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
    projects: [
      { extends: true, test: { name: 'unit', include: unitFiles, pool: 'threads', isolate: false } },
      // Real-process tests spawn and signal process groups; keep files isolated.
      { extends: true, test: { name: 'process', include: ['tests/**/*.test.ts'], exclude: unitFiles, pool: 'forks' } },
    ],
  },
});
