// File saved → the new service's process started, under `stack watch` (stack only: pm2 and
// supervisord have no file to watch). The service is a bash script that logs $EPOCHREALTIME
// as its first act, so the figure is watch debounce + reload + plan + spawn, not Node's boot.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { countSleeps, readTimes, SLEEP_MARK, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

export async function hotAddScenario({ results, rounds, stack }) {
  const values = await interleave([stack], rounds, async (subject, dir) => {
    const started = join(dir, 'started.log');
    const script = writeFile(dir, 'new.sh', `#!/bin/bash\necho "$EPOCHREALTIME" >> ${started}\nexec sleep ${SLEEP_MARK}\n`);
    const body = `  a:\n    command: [sleep, "${SLEEP_MARK}"]\n  b:\n    command: [sleep, "${SLEEP_MARK}"]\n`;
    await subject.watch(dir, body, () => countSleeps() === 2);
    // The first pass has spawned both; give it a moment to record them and arm its watchers.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const saved = Date.now();
    appendFileSync(join(dir, 'stack.yaml'), `  added:\n    command: [bash, "${script}"]\n`);
    const deadline = saved + 10_000;
    while (readTimes(started).length === 0) {
      if (Date.now() > deadline) throw new Error('the added service did not start within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return (readTimes(started)[0] ?? Number.NaN) - saved;
  });
  results.record('file saved → new service started', 'stack', values.get('stack'));
}
