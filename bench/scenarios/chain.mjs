// Issue 34 point 3: a dependency chain of 200 sleeps, each needing the one before it, applied
// from nothing (`stack apply --yes`, settle 0ms as in every start figure) until it returns with
// all 200 running; then `down`. stack only: supervisord and pm2 have no dependencies (supervisord's
// `priority` orders starts without waiting). BENCH_ONLY=chain.
import { countSleeps, NODE, SLEEP_MARK, STACK, timeCommand, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const LINKS = 200;

export async function chainScenario({ results, rounds, stack }) {
  const values = await interleave([stack], rounds, async (_subject, dir) => {
    const body = Array.from({ length: LINKS }, (_, i) => `  s${i}:\n    command: [sleep, "${SLEEP_MARK}"]\n${i > 0 ? `    dependsOn: [s${i - 1}]\n` : ''}`).join('');
    const file = writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\ndefaults:\n  start: { settle: 0ms }\nservices:\n${body}`);
    const ms = timeCommand([NODE, STACK, '-f', file, 'apply', '--yes']);
    if (countSleeps() !== LINKS) throw new Error(`apply returned with ${countSleeps()} of ${LINKS} sleeps running`);
    return ms;
  });
  const all = values.get('stack');
  results.record(`apply of a chain of ${LINKS}`, 'stack', all);
  results.record(`apply of a chain of ${LINKS}, per link`, 'stack', all.map((ms) => ms / LINKS));
}
