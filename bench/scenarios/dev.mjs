// Issue 31's development loop, under `stack watch`: a saved source file → the service's new
// process started (its build a trivial `true`, so the figure is the loop's own: the watch's
// debounce (100 ms by default) + the build's spawn + stop + start), and 100 saves within one
// second → how many builds (one: the debounce gathers them). stack only: pm2's `watch` restarts
// without a build step, and supervisord has none. BENCH_ONLY=dev.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, readTimes, SLEEP_MARK, waitUntil, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const SAVES = 100;

export async function devScenario({ results, rounds, stack }) {
  const values = await interleave([stack], rounds, async (subject, dir) => {
    const started = join(dir, 'started.log');
    const builds = join(dir, 'builds.log');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'app.txt'), '0\n');
    const script = writeFile(dir, 'app.sh', `#!/bin/bash\necho "$EPOCHREALTIME" >> ${started}\nexec sleep ${SLEEP_MARK}\n`);
    const body = [
      '  app:',
      `    command: [bash, "${script}"]`,
      '    watch: ["src/**"]',
      `    build: [sh, -c, 'echo built >> ${builds}']`,
      '',
    ].join('\n');
    await subject.watch(dir, body, () => countSleeps() === 1);
    // The first pass spawned it; give the controller a moment to arm its watchers.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const saved = Date.now();
    writeFileSync(join(dir, 'src', 'app.txt'), '1\n');
    await waitUntil(() => readTimes(started).length === 2, { timeoutMs: 10_000, what: 'the restart after a save' });
    const restarted = (readTimes(started)[1] ?? Number.NaN) - saved;
    await waitUntil(() => countSleeps() === 1, { timeoutMs: 10_000, what: 'the old run gone' });

    // 100 saves spread over one second.
    const before = readTimes(started).length;
    for (let i = 0; i < SAVES; i += 1) {
      appendFileSync(join(dir, 'src', 'app.txt'), `${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 1000 / SAVES));
    }
    await waitUntil(() => readTimes(started).length > before, { timeoutMs: 10_000, what: 'the restart after the burst' });
    // A second build, if one were coming, would begin within the debounce.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const built = readBuilds(builds) - 1;
    return { restarted, built };
  });
  const all = values.get('stack');
  results.record('save → restarted (dev loop, build: true)', 'stack', all.map((value) => (typeof value === 'object' ? value.restarted : Number.NaN)));
  results.record('100 saves in 1 s → builds', 'stack', all.map((value) => (typeof value === 'object' ? value.built : Number.NaN)), 'builds');
}

function readBuilds(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}
