// RSS of the supervising process (stack watch's controller, the pm2 daemon, supervisord; for s6,
// s6-svscan and every s6-supervise) with N running services, read from /proc/<pid>/status one
// second after all N run. Issue 34: per supervised service too, for every subject, with the
// processes it runs per service beside its controller (stack's log relays, s6's s6-supervise),
// as RSS and as PSS (shared pages divided among the processes sharing them), and the marginal
// cost of a service from 10 to 50.
import { pssKiB, rssKiB, sleep } from '../lib.mjs';
import { field, interleave } from './rounds.mjs';

const measured = new Map(); // n → Map(subject → per-round values), for the marginal cost
const [FEW, MANY] = [10, 50];

/** RSS and PSS (KiB) of the controller and of the controller with its per-service processes. */
function memoryOf(subject, dir, pid) {
  const all = [pid, ...(subject.helperPids?.(dir, pid) ?? [])];
  const sum = (read, pids) => pids.reduce((total, each) => total + read(each), 0);
  return { rss: rssKiB(pid), pss: pssKiB(pid), rssAll: sum(rssKiB, all), pssAll: sum(pssKiB, all), helpers: all.length - 1 };
}

export async function memoryScenario({ results, rounds, stack, peers, n }) {
  const subjects = [stack, ...peers];
  const values = await interleave(subjects, rounds, async (subject, dir) => {
    const pid = await subject.controllerPid(dir, n);
    await sleep(1000);
    return memoryOf(subject, dir, pid);
  });
  measured.set(n, values);

  // The supervisor: stack's controller; for s6 the whole tree (no one process of it supervises all).
  const supervisorKey = (subject) => (subject === stack || !subject.helperPids ? 'rss' : 'rssAll');
  const supervisor = (subject) => field(values.get(subject.name), supervisorKey(subject)).map((kib) => kib / 1024);
  const label = `supervisor RSS, ${n} services`;
  for (const subject of subjects) results.record(label, subject.name, supervisor(subject), 'MiB');
  for (const peer of peers) results.ratio(label, peer.name, supervisor(stack), supervisor(peer));
  if (n !== MANY) return;

  // Per service: each subject's controller alone, and, where it runs processes per service, with them.
  const rows = subjects.flatMap((subject) => [
    { subject, name: subject.helpers ? `${subject.name} (${subject.controllerLabel ?? 'controller'})` : subject.name, suffix: '' },
    ...(subject.helpers ? [{ subject, name: `${subject.name} (${subject.helpers})`, suffix: 'All' }] : []),
  ]);
  for (const kind of ['rss', 'pss']) {
    const unit = kind.toUpperCase();
    for (const { subject, name, suffix } of rows) {
      const key = `${kind}${suffix}`;
      const many = field(values.get(subject.name), key);
      results.record(`${unit} per service, ${n} services`, name, many.map((kib) => kib / n), 'KiB');
      const few = measured.get(FEW)?.get(subject.name);
      if (few) {
        const marginal = many.map((kib, round) => (kib - field(few, key)[round]) / (MANY - FEW));
        results.record(`${unit} marginal per service, ${FEW} → ${MANY}`, name, marginal, 'KiB');
      }
    }
  }
}
