// Issue 34: the test suite's own speed. `npm test` once (its pretest set-up, typecheck, lint,
// layers, build, then vitest's two projects: vitest.config.ts), timed from start to exit, with
// the vitest step's own time and each project's files' summed time from .vitest-results.json.
// It takes minutes and runs docker and real processes, so it runs only when BENCH_ONLY names
// `suite` (bench/run.mjs), once, whatever BENCH_ROUNDS says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { now, ROOT, run } from '../lib.mjs';

export async function suiteScenario({ results }) {
  console.error('running npm test once (minutes) …');
  const startedAt = Date.now();
  const began = now();
  const result = run(['npm', 'test'], { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } });
  const seconds = (now() - began) / 1000;
  let report;
  try {
    report = JSON.parse(readFileSync(join(ROOT, '.vitest-results.json'), 'utf8'));
  } catch {
    report = undefined;
  }
  if (report && report.startTime < startedAt) report = undefined; // an older run's: vitest did not run
  const outcome = report ? `${report.numPassedTests} passed, ${report.numFailedTests} failed` : `exit ${result.status} before vitest`;
  results.record('npm test, wall time', `npm test (${outcome})`, [seconds], 's');
  if (!report) return;
  const files = report.testResults;
  const lastEnd = Math.max(...files.map((file) => file.endTime));
  results.record('npm test: its vitest run, wall time', 'vitest run', [(lastEnd - report.startTime) / 1000], 's');
  // A file's project is the one vitest.config.ts gives it: read back from the file list vitest prints.
  const listed = run(['npx', 'vitest', 'list', '--project', 'unit', '--filesOnly'], { cwd: ROOT });
  const unit = new Set(listed.stdout.split('\n').map((line) => line.replace(/^\[unit\] /, '').trim()).filter(Boolean).map((file) => join(ROOT, file)));
  for (const [name, inProject] of [['unit (threads)', (file) => unit.has(file.name)], ['process (forks)', (file) => !unit.has(file.name)]]) {
    const own = files.filter(inProject);
    const summed = own.reduce((total, file) => total + (file.endTime - file.startTime), 0) / 1000;
    results.record("npm test: its files' own time, summed", `${name}, ${own.length} files`, [summed], 's');
  }
}
