// Issue 32's figure: the CPU the memory watchdog costs the controller (`stack watch`) with 50
// services that have `limits: { memory: 512MB }`, forced with STACK_LIMITS=watchdog (cgroups
// off): the watchdog reads every second, reusing the usage tick's one pass over /proc. The same
// 50 services without limits (the usage tick every 2 s) are the baseline; the cost is the
// difference, round by round. BENCH_ONLY=limits.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { countSleeps, endPid, NODE, run, sleep, SLEEP_MARK, STACK, startTracked, waitUntil, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const N = 50;
/** After all 50 run, the controller settles (its first passes, its code cache) before it is measured. */
const SETTLE_MS = 3000;
const WINDOW_MS = Number(process.env.BENCH_LIMITS_WINDOW_MS ?? 20_000);
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

const SUBJECTS = [
  { name: 'watchdog, 50 memory limits (1 s tick)', limits: true },
  { name: 'no limits (2 s usage tick)', limits: false },
];

function stackFile(dir, limits) {
  const services = Array.from({ length: N }, (_, i) => `  s${i}:\n    command: [sleep, "${SLEEP_MARK}"]\n${limits ? '    limits: { memory: 512MB }\n' : ''}`).join('');
  return writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\ndefaults:\n  start: { settle: 0ms }\nservices:\n${services}`);
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export async function limitsScenario({ results, rounds }) {
  const values = await interleave(SUBJECTS, rounds, async (subject, dir) => {
    const file = stackFile(dir, subject.limits);
    const log = openSync(join(dir, 'watch.log'), 'a');
    // A long interval: the reconcile passes cost the same in both, and are left out of the window.
    const controller = startTracked([NODE, STACK, '-f', file, 'watch', '--interval', '1h', '--parallel', '8'], {
      stdio: ['ignore', log, log],
      env: { ...process.env, STACK_LIMITS: 'watchdog' },
    });
    closeSync(log);
    try {
      await waitUntil(() => countSleeps() === N, { timeoutMs: 60_000, what: `${N} sleeps under stack watch` });
      await sleep(SETTLE_MS);
      const before = cpuTicks(controller.pid);
      await sleep(WINDOW_MS);
      const ticks = cpuTicks(controller.pid) - before;
      return (ticks / TICKS_PER_SECOND / (WINDOW_MS / 1000)) * 100;
    } finally {
      await endPid(controller.pid);
      run([NODE, STACK, '-f', file, 'down', '--yes', '--parallel', '8']);
    }
  });
  const label = `controller CPU, ${N} idle services`;
  for (const subject of SUBJECTS) results.record(label, subject.name, values.get(subject.name), '%');
  const [watched, baseline] = SUBJECTS.map((subject) => values.get(subject.name));
  results.record(`memory watchdog's cost, ${N} services`, 'stack watch', watched.map((value, round) => value - baseline[round]), '%');
}
