// Point 9 of issue 23: output of lifecycle commands and probes is streamed and kept only as a
// bounded tail. A plugin whose start prints 1 GB (one 300 MB line, then 700 MB of 1 KB lines)
// leaves stack's peak memory under 150 MB (before: 2.2 GB).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STACK_BIN, stack, tempStack } from '../support/stack-cli.js';
import { figures, printFigures, stackTraceLines } from './support.js';

const made: ReturnType<typeof tempStack>[] = [];
afterEach(() => {
  for (const created of made.splice(0)) {
    stack(['down', '--yes', '-f', created.file]);
    created.cleanup();
  }
});
afterAll(() => printFigures('output-bounds'));

const MB = 1024 * 1024;

function statusKb(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the CLI with its output drained (counted, the last 4 KiB kept) and its peak resident
 * memory read from /proc while it lives (VmHWM is the peak so far; the last reading before it
 * exits is kept).
 */
function runMeasured(args: string[]): Promise<{ code: number | null; stderrBytes: number; stderrEnd: string; peakMb: number }> {
  const child = spawn(process.execPath, [STACK_BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid as number;
  let peakKb = 0;
  const sample = (): void => {
    peakKb = Math.max(peakKb, statusKb(pid, 'VmHWM') ?? 0);
  };
  const sampler = setInterval(sample, 20);
  let stderrBytes = 0;
  let stderrEnd = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk: Buffer) => {
    stderrBytes += chunk.length;
    stderrEnd = (stderrEnd + chunk.toString('utf8')).slice(-4096);
    // Still alive while it prints: a reading now is the latest one.
    sample();
  });
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearInterval(sampler);
      resolve({ code, stderrBytes, stderrEnd, peakMb: peakKb / 1024 });
    }),
  );
}

describe('command output is bounded in memory', () => {
  it("a plugin whose start prints 1 GB: stack's peak RSS stays under 150 MB and the output is streamed", async () => {
    const s = tempStack('version: 1\nservices:\n  loud:\n    plugin: ./plugin\n');
    made.push(s);
    mkdirSync(join(s.dir, 'plugin'));
    const start = [
      // One line of 300 MB, never ended by a newline until the end…
      "head -c 300000000 /dev/zero | tr '\\0' a",
      'echo',
      // …then 700 MB of 1000-character lines.
      "yes \"$(head -c 999 /dev/zero | tr '\\0' x)\" | head -c 700000000",
      'echo started-after-a-gigabyte',
      'touch running',
    ].join('; ');
    writeFileSync(
      join(s.dir, 'plugin', 'plugin.yaml'),
      ['name: loud', 'lifecycle:', `  start: ${JSON.stringify(start)}`, '  stop: rm -f running', '  status: test -f running || exit 3', '  timeout: { start: 10m }', 'ignore: [running]', ''].join('\n'),
    );
    figures.faultsInjected += 1;
    const result = await runMeasured(['apply', '--yes', '-f', s.file]);
    process.stdout.write(`RELIABILITY ${JSON.stringify({ file: 'output-bounds', printedBytes: 1_000_000_026, stackPeakRssMb: Math.round(result.peakMb), stderrMb: Math.round(result.stderrBytes / MB) })}\n`);
    expect(stackTraceLines(result.stderrEnd)).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.peakMb).toBeGreaterThan(0);
    expect(result.peakMb).toBeLessThan(150);
    // Streamed to the person: every 1 KB line, the long line cut with how much was left out.
    expect(result.stderrBytes).toBeGreaterThan(700_000_000);
    expect(result.stderrBytes).toBeLessThan(750_000_000);
    expect(result.stderrEnd).toContain('loud | started-after-a-gigabyte');
  }, 600_000);

  // A guard of the bound rather than a fix: execa's 1 MB buffer bounded this before too (it kept
  // the front of the output; which part is kept is tested in tests/os/output-tail.test.ts).
  it("an exec probe printing 100 MB before it exits 0 passes, stack's peak RSS under 150 MB", async () => {
    const probe = '[sh, -c, "yes 0123456789abcdef | head -c 100000000; yes e | head -c 1000000 >&2; exit 0"]';
    const s = tempStack(`version: 1\nservices:\n  chatty:\n    command: [sleep, "3${process.pid % 1000}7"]\n    ready: { exec: ${probe}, timeout: 5m, interval: 60s }\n`);
    made.push(s);
    figures.faultsInjected += 1;
    const result = await runMeasured(['apply', '--yes', '-f', s.file]);
    process.stdout.write(`RELIABILITY ${JSON.stringify({ file: 'output-bounds', probePrintedBytes: 101_000_000, stackPeakRssMb: Math.round(result.peakMb) })}\n`);
    expect(stackTraceLines(result.stderrEnd)).toEqual([]);
    // A whole attempt gets the interval, so the 100 MB can pass on a loaded machine.
    expect(result.code).toBe(0);
    expect(result.peakMb).toBeGreaterThan(0);
    expect(result.peakMb).toBeLessThan(150);
  }, 600_000);
});
