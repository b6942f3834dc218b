// Issue 34 point 2: a thousand services. Each round, for N = 50, 200 and 1,000 sleeps: stack's
// apply from nothing beside a bare shell loop starting the same N sleeps (the floor a
// hand-written start.sh pays), then stack's status (daemonless), plan (nothing to do), validate
// and down, beside the loop's stop.sh (a kill of each group: the floor of a down). At 1,000 also
// a controller: its RSS, `stack status --json` through it beside `node -e 0`, and a saved
// stack.yaml to one new service started. BENCH_ONLY=thousand.
import { appendFileSync, closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, endPid, NODE, now, readTimes, rssKiB, run, sleep, SLEEP_MARK, STACK, startTracked, timeCommand, waitUntil, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const SIZES = [50, 200, 1000];
const BIG = 1000;

const cli = (dir, ...args) => [NODE, STACK, '-f', join(dir, 'stack.yaml'), ...args];

/** Times a command that must exit with one of `codes`. */
function timed(argv, codes = [0]) {
  const result = run(argv);
  if (!codes.includes(result.status)) throw new Error(`${argv.slice(2).join(' ')} exited ${result.status}: ${(result.stderr || result.stdout).slice(-400)}`);
  return result;
}

/** A bare loop in bash: each sleep in its own session, output appended to its own log, its pid in a file. */
const shellLoop = {
  name: 'shell loop',
  async run(dir, n) {
    const script = writeFile(
      dir,
      'start.sh',
      `#!/bin/bash\ncd ${dir}\nfor ((i = 0; i < ${n}; i++)); do\n  setsid sleep ${SLEEP_MARK} >> s$i.log 2>&1 < /dev/null &\n  echo $! > s$i.pid\ndone\n`,
    );
    const ms = timeCommand(['bash', script]);
    await waitUntil(() => countSleeps() === n, { timeoutMs: 30_000, what: `${n} sleeps of the shell loop` });
    // Its stop.sh: a SIGTERM to each sleep's group, timed as stack's down is, until every sleep ended.
    const stop = writeFile(dir, 'stop.sh', `#!/bin/bash\ncd ${dir}\nfor ((i = 0; i < ${n}; i++)); do\n  kill -TERM -- -$(< s$i.pid)\ndone\n`);
    const began = now();
    timeCommand(['bash', stop]);
    await waitUntil(() => countSleeps() === 0, { timeoutMs: 60_000, intervalMs: 1, what: 'every sleep of the shell loop to end' });
    return { apply: ms, down: now() - began };
  },
};

const stackSubject = {
  name: 'stack',
  async run(dir, n) {
    const body = Array.from({ length: n }, (_, i) => `  s${i}:\n    command: [sleep, "${SLEEP_MARK}"]\n`).join('');
    writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\ndefaults:\n  start: { settle: 0ms }\nservices:\n${body}`);
    const apply = timed(cli(dir, 'apply', '--yes', '--parallel', '8')).ms;
    if (countSleeps() !== n) throw new Error(`apply returned with ${countSleeps()} of ${n} sleeps running`);
    const status = timed(cli(dir, 'status', '--json'));
    const running = JSON.parse(status.stdout).services.filter((s) => s.observed === 'running').length;
    if (running !== n) throw new Error(`status shows ${running} of ${n} running`);
    const plan = timed(cli(dir, 'plan'), [0, 2]);
    if (!/nothing to do|no changes/i.test(plan.stdout + plan.stderr)) throw new Error(`plan of a converged stack is not empty: ${plan.stdout.slice(0, 300)}`);
    const validate = timed(cli(dir, 'validate')).ms;
    // `stack status` as typed (the table: no CPU, memory or command column, so no usage read) beside --json above.
    const table = timed(cli(dir, 'status'));
    if (table.stdout.split('\n').filter((line) => / running /.test(line)).length !== n) throw new Error(`the status table does not show ${n} running`);
    const figures = { apply, status: status.ms, statusTable: table.ms, plan: plan.ms, validate };
    if (n === BIG) Object.assign(figures, await underController(dir, n));
    const began = now();
    timed(cli(dir, 'down', '--yes', '--parallel', '8'));
    await waitUntil(() => countSleeps() === 0, { timeoutMs: 60_000, intervalMs: 1, what: 'every sleep to end after down' });
    figures.down = now() - began;
    return figures;
  },
};

/** `stack watch` over the running stack: RSS, status through it beside `node -e 0`, one service added. */
async function underController(dir, n) {
  const controller = stackWatch(dir);
  try {
    await waitUntil(() => existsSync(join(dir, '.stack', 'api.sock')), { timeoutMs: 60_000, intervalMs: 10, what: "the controller's API socket" });
    await sleep(1000);
    // The peak over 10 s of its idle ticks (liveness, usage, rotation, the interval pass), not one
    // reading: a reading at 1 s missed what those ticks allocate (86 MiB then, 140–155 MiB later, before the ticks were made cheaper).
    let rss = 0;
    for (let i = 0; i < 20; i += 1) {
      rss = Math.max(rss, rssKiB(controller.pid) / 1024);
      await sleep(500);
    }
    const viaController = [];
    const nodeStart = [];
    for (let i = 0; i < 5; i += 1) {
      const result = timed(cli(dir, 'status', '--json'));
      if (JSON.parse(result.stdout).services.length !== n) throw new Error('status through the controller lost services');
      viaController.push(result.ms);
      nodeStart.push(timeCommand([NODE, '-e', '0']));
    }
    const started = join(dir, 'added.log');
    const script = writeFile(dir, 'added.sh', `#!/bin/bash\necho "$EPOCHREALTIME" >> ${started}\nexec sleep ${SLEEP_MARK}\n`);
    const saved = Date.now();
    appendFileSync(join(dir, 'stack.yaml'), `  added:\n    command: [bash, "${script}"]\n`);
    await waitUntil(() => readTimes(started).length > 0, { timeoutMs: 20_000, intervalMs: 2, what: 'the added service to start' });
    const added = readTimes(started)[0] - saved;
    // Every service stopped and started again by the controller (`stack restart` hands it over), until restart returns.
    const restarted = timed(cli(dir, 'restart', '--parallel', '8'));
    if (!/Restart complete: \d+ stopped, \d+ started/.test(restarted.stdout + restarted.stderr)) throw new Error(`restart through the controller: ${(restarted.stdout + restarted.stderr).slice(-300)}`);
    if (countSleeps() < n) throw new Error(`restart through the controller left ${countSleeps()} of ${n} sleeps running`);
    const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
    return { rss, statusController: median(viaController), nodeStart: median(nodeStart), added, restart: restarted.ms };
  } finally {
    await endPid(controller.pid);
  }
}

function stackWatch(dir) {
  const log = openSync(join(dir, 'watch.log'), 'a');
  const child = startTracked(cli(dir, 'watch', '--parallel', '8'), { stdio: ['ignore', log, log] });
  closeSync(log);
  return child;
}

export async function thousandScenario({ results, rounds }) {
  for (const n of SIZES) {
    const values = await interleave([stackSubject, shellLoop], rounds, (subject, dir) => subject.run(dir, n));
    const of = (subject, key) => values.get(subject).map((value) => (typeof value === 'object' ? value[key] : Number.NaN));
    results.record(`start ${n} sleeps (issue 34)`, 'stack', of('stack', 'apply'));
    results.record(`start ${n} sleeps (issue 34)`, 'shell loop', of('shell loop', 'apply'));
    results.ratio(`start ${n} sleeps (issue 34)`, 'shell loop', of('stack', 'apply'), of('shell loop', 'apply'));
    results.record(`apply per service, ${n} sleeps`, 'stack', of('stack', 'apply').map((ms) => ms / n));
    for (const [key, label] of [['statusTable', 'status (the table), no controller'], ['status', 'status --json, no controller'], ['plan', 'plan, nothing to do'], ['validate', 'validate'], ['down', 'down, until every sleep ended']]) {
      results.record(`${label}, ${n} services`, 'stack', of('stack', key));
    }
    // The floor of a down: the shell loop's stop.sh, a `kill` of each group (issue 34 sets 1 s for 1,000).
    results.record(`down, until every sleep ended, ${n} services`, 'shell loop', of('shell loop', 'down'));
    results.ratio(`down, until every sleep ended, ${n} services`, 'shell loop', of('stack', 'down'), of('shell loop', 'down'));
    if (n !== BIG) continue;
    results.record(`controller RSS, ${n} services`, 'stack', of('stack', 'rss'), 'MiB');
    results.record(`status --json of ${n}, controller`, 'stack', of('stack', 'statusController'));
    results.record(`status --json of ${n}, controller`, 'node -e 0', of('stack', 'nodeStart'));
    results.ratio(`status --json of ${n}, controller`, 'node -e 0', of('stack', 'statusController'), of('stack', 'nodeStart'));
    results.record(`file saved → new service started, ${n} watched`, 'stack', of('stack', 'added'));
    results.record(`restart of every one of ${n} through a controller`, 'stack', of('stack', 'restart'));
  }
}
