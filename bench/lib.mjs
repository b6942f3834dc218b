// Small helpers for the benchmarks: timing, medians, temp stacks, process clean-up.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const STACK = new URL('../bin/stack.js', import.meta.url).pathname;

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarise(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length };
}

/** Wall time of one command, in milliseconds; throws when it fails. */
export function timeCommand(argv, options = {}) {
  const began = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - began) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

export function tempStack(yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'stack-bench-'));
  writeFileSync(join(dir, 'stack.yaml'), yaml);
  return { dir, file: join(dir, 'stack.yaml') };
}

export function sleepStack(n) {
  const services = Array.from({ length: n }, (_, i) => `  s${i}:\n    command: [sleep, "600"]\n`).join('');
  return `version: 1\nproject: bench\nservices:\n${services}`;
}

export function machineDescription() {
  const cpu = execFileSync('sh', ['-c', "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim();
  const cores = execFileSync('nproc').toString().trim();
  return `${cores} cores (${cpu}), Node ${process.version}, ${process.platform}`;
}
