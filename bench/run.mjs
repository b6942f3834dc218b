// `npm run bench`: stack's own figures next to the floor they are measured against.
// Scenarios run interleaved (A B A B …) so machine noise hits every side alike.
import { writeFileSync } from 'node:fs';
import { machineDescription, sleepStack, STACK, summarise, tempStack, timeCommand } from './lib.mjs';
import { benchPlan } from './plan.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const results = [];

function record(scenario, subject, values, note = '') {
  const stats = summarise(values);
  results.push({ scenario, subject, ...stats, note });
  console.log(`${scenario.padEnd(28)} ${subject.padEnd(16)} median ${stats.median.toFixed(1).padStart(8)} ms  (min ${stats.min.toFixed(1)}, max ${stats.max.toFixed(1)}, n=${stats.runs})`);
  return stats;
}

function ratio(scenario, peer, a, b) {
  const perRound = a.map((value, index) => value / b[index]);
  const value = summarise(perRound).median;
  console.log(`ratio ${scenario} ${peer} ${value.toFixed(2)}`);
  results.push({ scenario, subject: `ratio vs ${peer}`, median: value, min: Math.min(...perRound), max: Math.max(...perRound), runs: perRound.length, note: 'ratio' });
}

// 1. Start-up: `stack --version` vs `node -e 0`.
{
  const node = [];
  const stack = [];
  for (let round = 0; round < ROUNDS * 2; round += 1) {
    node.push(timeCommand([process.execPath, '-e', '0']));
    stack.push(timeCommand([process.execPath, STACK, '--version']));
  }
  record('startup', 'node -e 0', node);
  record('startup', 'stack --version', stack);
  ratio('startup', 'node', stack, node);
}

// 2. The pure planner on 5,000 services.
{
  const values = benchPlan(5000, ROUNDS);
  record('plan() 5000 services', 'stack', values);
}

// 3. Apply, status and down of 50 `sleep` services.
for (const n of [10, 50]) {
  const apply = [];
  const status = [];
  const down = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const { file } = tempStack(sleepStack(n));
    apply.push(timeCommand([process.execPath, STACK, '-f', file, 'apply', '--yes', '--parallel', '8']));
    status.push(timeCommand([process.execPath, STACK, '-f', file, 'status', '--json']));
    down.push(timeCommand([process.execPath, STACK, '-f', file, 'down', '--yes', '--parallel', '8']));
  }
  record(`apply ${n} sleeps`, 'stack', apply);
  record(`status ${n}`, 'stack', status);
  record(`down ${n}`, 'stack', down);
}

const table = results
  .map((row) => `| ${row.scenario} | ${row.subject} | ${row.note === 'ratio' ? row.median.toFixed(2) + '×' : row.median.toFixed(1) + ' ms'} | ${row.note === 'ratio' ? `${row.min.toFixed(2)}–${row.max.toFixed(2)}` : `${row.min.toFixed(1)}–${row.max.toFixed(1)}`} | ${row.runs} |`)
  .join('\n');
writeFileSync(
  new URL('./results.md', import.meta.url),
  `# Benchmark results\n\nMachine: ${machineDescription()}. Rounds: ${ROUNDS}. Written by \`npm run bench\` on ${new Date().toISOString()}.\n\n| scenario | subject | median | min–max | n |\n|---|---|---|---|---|\n${table}\n`,
);
console.log('\nwrote bench/results.md');
