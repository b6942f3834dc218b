// Issue 34 point 2, its second half: 200 Node HTTP servers, each with `ready: { http: … }`. Each
// round: stack's `apply --yes --parallel 8` from nothing until it returns (apply waits until every
// server answers its probe), beside the floor: one Node process spawning the same 200 servers
// detached, then polling every port until it accepts (bench/peers/floor.mjs). BENCH_ONLY=servers.
import { floor } from '../peers/floor.mjs';
import { HTTP_SERVER, NODE, portOpen, run, STACK, tempDir, timeCommand, waitForPorts, waitForPortsClosed, writeFile } from '../lib.mjs';
import { interleave } from './rounds.mjs';

const N = 200;
// Above the http scenario's 20000–21999, below Linux's ephemeral range (32768–60999): 8 ranges of 200.
const BASE_PORT = 22000;

export async function serversScenario({ results, rounds }) {
  const server = writeFile(tempDir(), 'server.mjs', HTTP_SERVER);
  const stackSubject = {
    name: 'stack',
    async startHttp(dir, ports) {
      const body = ports.map((port, i) => `  h${i}:\n    command: ["${NODE}", "${server}", "${port}"]\n    ready: { http: "http://127.0.0.1:${port}/" }\n`).join('');
      const file = writeFile(dir, 'stack.yaml', `version: 1\nproject: bench\nservices:\n${body}`);
      const ms = timeCommand([NODE, STACK, '-f', file, 'apply', '--yes', '--parallel', '8']);
      const closed = (await Promise.all(ports.map(portOpen))).filter((open) => !open).length;
      if (closed) throw new Error(`apply returned with ${closed} of ${N} servers not answering`);
      return ms;
    },
    async cleanup(dir) {
      const down = run([NODE, STACK, '-f', `${dir}/stack.yaml`, 'down', '--yes']);
      if (down.status !== 0) throw new Error(`down exited ${down.status}: ${down.stderr.slice(-400)}`);
    },
  };
  let measurement = 0;
  const values = await interleave([stackSubject, floor], rounds, async (subject, dir) => {
    const base = BASE_PORT + (measurement++ % 8) * N;
    const ports = Array.from({ length: N }, (_, i) => base + i);
    await waitForPortsClosed(ports, 10_000).catch(() => undefined);
    const busy = (await Promise.all(ports.map(portOpen))).filter(Boolean).length;
    if (busy) throw new Error(`${busy} of ports ${base}–${base + N - 1} are already in use`);
    const ms = subject === floor ? await floor.startHttp(dir, ports, server) : await stackSubject.startHttp(dir, ports);
    await waitForPorts(ports);
    return ms;
  });
  const label = `${N} http servers ready (issue 34, ready: http)`;
  results.record(label, 'stack', values.get('stack'));
  results.record(label, 'floor', values.get('floor'));
  results.ratio(label, 'floor', values.get('stack'), values.get('floor'));
}
