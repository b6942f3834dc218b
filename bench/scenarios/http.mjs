// N small Node HTTP servers, from nothing until every port accepts a TCP connection.
import { HTTP_SERVER, portOpen, tempDir, waitForPortsClosed, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

// Below Linux's ephemeral range (32768–60999): the bench's own connections (polling every port
// until it accepts) take local ports from that range, and a server cannot listen on a port an
// open connection holds (EADDRINUSE, seen as failed rounds). 40 ranges of n ports: 20000–21999.
const BASE_PORT = 20000;

export async function httpScenario({ results, rounds, stack, peers: all, floor, n }) {
  const peers = all.filter((peer) => peer.startHttp); // s6 takes part in crash, sleeps and memory only
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
