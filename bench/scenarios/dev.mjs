// Issue 31's development loop, under `stack watch`: a saved source file → the service's new
// process started, and the build's own time in the same round (the build is a bash script that
// writes $EPOCHREALTIME as its first and last act), so the loop's own cost is the first minus
// the second: the watch's debounce (100 ms by default) + the build's spawn + stop + start.
// And 100 saves within one second → how many builds (one: the debounce gathers them). stack
// only: pm2's `watch` restarts without a build step, and supervisord has none. BENCH_ONLY=dev.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, readTimes, SLEEP_MARK, waitUntil, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const SAVES = 100;

export async function devScenario({ results, rounds, stack }) {
  const values = await interleave([stack], rounds, async (subject, dir) => {
    const started = join(dir, 'started.log');
    const builds = join(dir, 'builds.log');
    const buildEnds = join(dir, 'build-ends.log');
    // A build that does a little work (it writes a file), timed from inside: first line to last.
    const build = writeFile(dir, 'build.sh', `#!/bin/bash\necho "$EPOCHREALTIME" >> ${builds}\necho built > ${join(dir, 'out.txt')}\necho "$EPOCHREALTIME" >> ${buildEnds}\n`);
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'app.txt'), '0\n');
    const script = writeFile(dir, 'app.sh', `#!/bin/bash\necho "$EPOCHREALTIME" >> ${started}\nexec sleep ${SLEEP_MARK}\n`);
    const body = [
      '  app:',
      `    command: [bash, "${script}"]`,
      '    watch: ["src/**"]',
      `    build: [bash, "${build}"]`,
      '',
    ].join('\n');
    await subject.watch(dir, body, () => countSleeps() === 1);
    // The first pass spawned it; give the controller a moment to arm its watchers.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const saved = Date.now();
    writeFileSync(join(dir, 'src', 'app.txt'), '1\n');
    await waitUntil(() => readTimes(started).length === 2, { timeoutMs: 10_000, what: 'the restart after a save' });
    const restarted = (readTimes(started)[1] ?? Number.NaN) - saved;
    const buildOwn = (readTimes(buildEnds)[0] ?? Number.NaN) - (readTimes(builds)[0] ?? Number.NaN);
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
    return { restarted, buildOwn, loop: restarted - buildOwn, built };
  });
  const all = values.get('stack');
  const of = (key) => all.map((value) => (typeof value === 'object' ? value[key] : Number.NaN));
  results.record('save → restarted (dev loop, with its build)', 'stack', of('restarted'));
  results.record("dev loop: the build's own time", 'stack', of('buildOwn'));
  results.record('save → restarted, less the build (dev loop)', 'stack', of('loop'));
  results.record('100 saves in 1 s → builds', 'stack', of('built'), 'builds');
}

function readBuilds(file) {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}
