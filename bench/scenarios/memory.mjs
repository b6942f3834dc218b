// RSS of the supervising process (stack watch's controller, the pm2 daemon, supervisord) with N
// running services, read from /proc/<pid>/status one second after all N run.
import { rssKiB, sleep } from '../lib.mjs';
import { interleave } from './rounds.mjs';

export async function memoryScenario({ results, rounds, stack, peers, n }) {
  const subjects = [stack, ...peers];
  const values = await interleave(subjects, rounds, async (subject, dir) => {
    const pid = await subject.controllerPid(dir, n);
    await sleep(1000);
    return rssKiB(pid) / 1024;
  });
  const label = `supervisor RSS, ${n} services`;
  for (const subject of subjects) results.record(label, subject.name, values.get(subject.name), 'MiB');
  for (const peer of peers) results.ratio(label, peer.name, values.get('stack'), values.get(peer.name));
}
