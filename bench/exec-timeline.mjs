// What a command runs, and when: `node bench/exec-timeline.mjs [--match REGEX] -- <command…>` runs
// it under `strace -f -e trace=execve` (seccomp-bpf, so the traced programs are barely slowed)
// and prints one line per program it executed: start and end (ms from the command's start),
// wall time, argv. Issue 34's profile of `stack apply` with compose services was taken so:
//   node bench/exec-timeline.mjs --match 'docker' -- node bin/stack.cjs -f stack.yaml apply --yes
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dash = args.indexOf('--');
const options = dash < 0 ? [] : args.slice(0, dash);
const command = dash < 0 ? args : args.slice(dash + 1);
const matchAt = options.indexOf('--match');
const match = new RegExp(matchAt < 0 ? '.' : options[matchAt + 1]);
if (command.length === 0) {
  console.error('usage: node bench/exec-timeline.mjs [--match REGEX] -- <command…>');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'exec-timeline-'));
const trace = join(dir, 'trace');
try {
  const result = spawnSync('strace', ['-f', '--seccomp-bpf', '-s', '300', '-ttt', '-e', 'trace=execve', '-e', 'signal=none', '-o', trace, ...command], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.error) throw result.error;
  const programs = new Map();
  let origin;
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const parsed = /^(\d+)\s+(\d+\.\d+) (.*)$/.exec(line);
    if (!parsed) continue;
    const [, pid, seconds, rest] = parsed;
    const at = Number(seconds) * 1000;
    origin ??= at;
    const exec = /^execve\("([^"]+)", \[(.*?)\]/.exec(rest);
    // Every successful execve of a pid replaces its program: the last one is what ran.
    if (exec && / = 0$/.test(rest)) programs.set(pid, { start: at, argv: [...exec[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((each) => each[1]) });
    if (/^\+\+\+ (exited|killed)/.test(rest) && programs.has(pid)) programs.get(pid).end = at;
  }
  const rows = [...programs.values()].filter((program) => match.test(program.argv.join(' '))).sort((a, b) => a.start - b.start);
  const ms = (value) => (value === undefined ? '?' : (value - origin).toFixed(0));
  console.log('  start     end    wall  argv');
  for (const row of rows) {
    const wall = row.end === undefined ? '?' : (row.end - row.start).toFixed(0);
    console.log(`${ms(row.start).padStart(7)} ${ms(row.end).padStart(7)} ${wall.padStart(7)}  ${row.argv.join(' ').slice(0, 160)}`);
  }
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
