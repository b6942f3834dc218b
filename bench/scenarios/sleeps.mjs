// N `sleep` services: start from nothing until all run, status, stop all — per subject, per round.
// A peer may add variants (`variants.sleeps`: s6 stopping its services another way), each
// recorded and compared as a peer of its own, in the rows it names (`rows`).
import { countSleeps, now, waitUntil } from '../lib.mjs';
import { stackDefaultSettle } from '../peers/stack.mjs';
import { field, interleave } from './rounds.mjs';

export async function sleepsScenario({ results, rounds, stack, peers, floor, n }) {
  const compared = [...peers, ...peers.flatMap((peer) => peer.variants?.sleeps ?? [])];
  // stack as the peers run (no wait after the start), then with its default settle check.
  const subjects = [stack, stackDefaultSettle, ...compared, floor];
  const values = await interleave(subjects, rounds, async (subject, dir) => {
    const start = await subject.startSleeps(dir, n);
    if (!subject.status) return { start };
    const status = await subject.status(dir, n);
    // Stopped means gone: a subject whose stop command returns before its processes have ended
    // is timed until they have.
    const began = now();
    await subject.stopAll(dir, n);
    await waitUntil(() => countSleeps() === 0, { timeoutMs: 30_000, intervalMs: 1, what: `${subject.name} to end every sleep` });
    return { start, status, stop: now() - began };
  });
  const shown = (subject, key) => !subject.rows || subject.rows.includes(key);
  for (const [key, label] of [['start', `start ${n} sleeps`], ['status', `status ${n}`], ['stop', `stop ${n}`]]) {
    for (const subject of subjects.filter((each) => shown(each, key))) {
      const measured = field(values.get(subject.name), key);
      if (measured.some((value) => value !== undefined)) results.record(label, subject.name, measured);
    }
    for (const peer of [...compared, ...(key === 'start' ? [floor] : [])].filter((each) => shown(each, key))) {
      results.ratio(label, peer.name, field(values.get('stack'), key), field(values.get(peer.name), key));
    }
  }
}
