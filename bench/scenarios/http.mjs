// N small Node HTTP servers, from nothing until every port accepts a TCP connection.
import { HTTP_SERVER, portOpen, tempDir, waitForPortsClosed, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const BASE_PORT = 38700; // away from the 42xxx ports the test suite picks

export async function httpScenario({ results, rounds, stack, peers, floor, n }) {
  const server = writeFile(tempDir(), 'server.mjs', HTTP_SERVER);
  const subjects = [stack, floor, ...peers];
  // Each measurement gets its own port range: a server of the previous subject that is still
  // going away (supervisord leaves its children to be ended by pid) must not fail the next round.
  let measurement = 0;
  const values = await interleave(subjects, rounds, async (subject, dir) => {
    const base = BASE_PORT + (measurement++ % 40) * n;
    const ports = Array.from({ length: n }, (_, i) => base + i);
    await waitForPortsClosed(ports, 5_000).catch(() => undefined);
    const busy = (await Promise.all(ports.map(portOpen))).filter(Boolean).length;
    if (busy) throw new Error(`${busy} of ports ${base}–${base + n - 1} are already in use`);
    return subject.startHttp(dir, ports, server);
  });
  const label = `${n} http servers ready`;
  for (const subject of subjects) results.record(label, subject.name, values.get(subject.name));
  for (const peer of [floor, ...peers]) results.ratio(label, peer.name, values.get('stack'), values.get(peer.name));
}
