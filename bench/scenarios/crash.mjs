// Crash → restarted: the service writes its own start and exit times; the gap is exit → next start.
import { join } from 'node:path';
import { crashScript, median, readTimes, restartGaps } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const STARTS = 7; // six restarts per round

export async function crashScenario({ results, rounds, stack, peers }) {
  const subjects = [stack, ...peers];
  const values = await interleave(subjects, rounds, async (subject, dir) => {
    const script = crashScript(dir);
    await subject.crash(dir, script, () => readTimes(join(dir, 'starts.log')).length >= STARTS);
    return median(restartGaps(dir).slice(0, STARTS - 1));
  });
  for (const subject of subjects) results.record('crash → restarted', subject.name, values.get(subject.name));
  for (const peer of peers) results.ratio('crash → restarted', peer.name, values.get('stack'), values.get(peer.name));
}
