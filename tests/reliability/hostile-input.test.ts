// Hostile stack.yaml and plugin.yaml files: every one exits 5 with a message, no stack trace,
// no hang, and nothing started.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_BIN } from '../support/stack-cli.js';
import { figures, printFigures, stackTraceLines } from './support.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'hostile');
// Only a hang detector: each case normally takes a fraction of a second.
const HANG_MS = 10_000;

afterAll(() => printFigures('hostile-input'));

interface Case {
  name: string;
  /** Writes the case into an empty folder; returns the stack file to pass with -f. */
  make(dir: string): string;
}

const services = (count: number, extra = '') =>
  `version: 1\nservices:\n${Array.from({ length: count }, (_, i) => `  s${i}:\n    command: [touch, STARTED]\n`).join('')}${extra}`;

const generated: Case[] = [
  { name: '10 MB file', make: (dir) => write(dir, `version: 1\nservices:\n  a:\n    command: [touch, STARTED]\n# ${'x'.repeat(10 * 1024 * 1024)}\n`) },
  { name: 'just over 1 MiB, one long line', make: (dir) => write(dir, `version: 1\nservices:\n  a:\n    command: [touch, STARTED]\n    env: { X: "${'x'.repeat(1024 * 1024)}" }\n`) },
  { name: '10,000 services, one with an unknown dependency', make: (dir) => write(dir, services(10_000, '  last:\n    command: [touch, STARTED]\n    dependsOn: [nobody]\n')) },
  { name: '10,000 services, a dependency cycle through all of them', make: (dir) => write(dir, `version: 1\nservices:\n${Array.from({ length: 10_000 }, (_, i) => `  s${i}:\n    command: [touch, STARTED]\n    dependsOn: [s${(i + 1) % 10_000}]\n`).join('')}`) },
  { name: '2,000 levels of block nesting', make: (dir) => write(dir, `version: 1\nservices:\n  a:\n    command: [touch, STARTED]\n    env:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(6 + i)}k${i}:`).join('\n')} x\n`) },
  { name: '50,000 levels of flow nesting', make: (dir) => write(dir, `version: 1\nservices:\n  a:\n    command: [touch, STARTED]\n    env: { X: ${'['.repeat(50_000)}${']'.repeat(50_000)} }\n`) },
];

function write(dir: string, text: string): string {
  writeFileSync(join(dir, 'stack.yaml'), text);
  return join(dir, 'stack.yaml');
}

const stackFiles: Case[] = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.yaml'))
  .map((file) => ({ name: file, make: (dir) => (cpSync(join(FIXTURES, file), join(dir, 'stack.yaml')), join(dir, 'stack.yaml')) }));

const pluginFiles: Case[] = readdirSync(join(FIXTURES, 'plugins')).map((plugin) => ({
  name: `plugins/${plugin}/plugin.yaml`,
  make: (dir) => {
    cpSync(join(FIXTURES, 'plugins', plugin), join(dir, 'plugin'), { recursive: true });
    return write(dir, 'version: 1\nservices:\n  p:\n    plugin: ./plugin\n  q:\n    command: [touch, STARTED]\n');
  },
}));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function applyIn(dir: string, file: string): Promise<Run> {
  return new Promise((resolve) => {
    const began = performance.now();
    const child = spawn(process.execPath, [STACK_BIN, 'apply', '--yes', '-f', file], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, timeout: HANG_MS, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - began }));
  });
}

/** Runs every case, two at a time (the CI machine has two cores). */
async function runAll(cases: Case[]): Promise<Map<string, Run & { started: boolean; stateDir: boolean }>> {
  const results = new Map<string, Run & { started: boolean; stateDir: boolean }>();
  const queue = [...cases];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const dir = mkdtempSync(join(tmpdir(), 'stack-hostile-'));
      try {
        const file = next.make(dir);
        const run = await applyIn(dir, file);
        results.set(next.name, { ...run, started: existsSync(join(dir, 'STARTED')) || existsSync(join(dir, 'plugin', 'STARTED')), stateDir: existsSync(join(dir, '.stack')) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

describe('hostile input', () => {
  const cases = [...stackFiles, ...pluginFiles, ...generated];

  it('the corpus holds at least 40 files', () => {
    expect(stackFiles.length + pluginFiles.length).toBeGreaterThanOrEqual(40);
  });

  it(`each of the ${cases.length} cases exits 5 with a message, no stack trace, nothing started`, async () => {
    const results = await runAll(cases);
    const wrong: string[] = [];
    for (const { name } of cases) {
      const run = results.get(name);
      figures.faultsInjected += 1;
      if (!run) {
        wrong.push(`${name}: did not run`);
        continue;
      }
      const traces = stackTraceLines(run.stderr + run.stdout);
      figures.stackTraces += traces.length;
      if (run.code !== 5) wrong.push(`${name}: exit ${run.code} after ${Math.round(run.ms)} ms: ${run.stderr.slice(0, 300)}`);
      if (!/^error: .+ is not valid \(\d+ problems?\)/m.test(run.stderr)) wrong.push(`${name}: no "is not valid" message: ${run.stderr.slice(0, 300)}`);
      if (traces.length > 0) wrong.push(`${name}: stack trace: ${traces[0]}`);
      if (/internal error/.test(run.stderr)) wrong.push(`${name}: internal error`);
      if (run.started || run.stateDir) wrong.push(`${name}: something ran (.stack created: ${run.stateDir})`);
    }
    expect(wrong).toEqual([]);
  }, 180_000);
});
