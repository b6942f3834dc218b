// Crash → restarted: the service writes its own start and exit times; the gap is exit → next start.
// A peer may run the script its own way (`crashScript`: s6's readiness, bench/peers/s6.mjs) and
// add variants (`variants.crash`), recorded beside it without a ratio.
import { join } from 'node:path';
import { crashScript, median, readTimes, restartGaps } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const STARTS = 7; // six restarts per round

export async function crashScenario({ results, rounds, stack, peers }) {
  const variants = peers.flatMap((peer) => peer.variants?.crash ?? []);
  const subjects = [stack, ...peers, ...variants];
  const values = await interleave(subjects, rounds, async (subject, dir) => {
    const script = crashScript(dir, subject.crashScript);
    await subject.crash(dir, script, () => readTimes(join(dir, 'starts.log')).length >= STARTS);
    return median(restartGaps(dir).slice(0, STARTS - 1));
  });
  for (const subject of subjects) results.record('crash → restarted', subject.name, values.get(subject.name));
  for (const peer of peers) results.ratio('crash → restarted', peer.name, values.get('stack'), values.get(peer.name));
}
