// `replicas: N` (issue 29, point 7) on real processes: N Node HTTP servers, each with its own
// STACK_REPLICA and port; `status` shows each; a change of N plans the replicas added or
// removed; `stack restart web` rolls, so a client going through a proxy in front of them sees
// no failed request while it runs.
import { request } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli, stack, waitFor } from '../support/stack-cli.js';
import { Cleanup, statusJson, type Scratch } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

// Answers with its replica; on SIGTERM it stops accepting, finishes what it has, and exits.
const SERVER = `
const http = require('http');
const server = http.createServer((req, res) => res.end(process.argv[2] + ' ' + process.env.STACK_REPLICA));
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

// Round-robin over BACKENDS, as a health-aware proxy does: a backend that refuses or drops the
// connection before answering (a replica restarting) is skipped for the next one.
const PROXY = `
const http = require('http');
const backends = process.env.BACKENDS.split(',').map(Number);
let next = 0;
function forward(res, tries) {
  const port = backends[next++ % backends.length];
  const up = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (answer) => answer.pipe(res));
  up.on('error', () => (tries > 1 ? forward(res, tries - 1) : (res.statusCode = 502, res.end('no backend'))));
}
http.createServer((req, res) => forward(res, backends.length * 2)).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('proxy ready'));
`;

/** A prefix P such that ports P0…P9 and the proxy's P9 are free now (ports written `P${replica}`). */
async function freePrefix(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const prefix = 2000 + Math.floor(Math.random() * 4000);
    const free = await Promise.all(Array.from({ length: 10 }, (_, digit) => isFree(prefix * 10 + digit)));
    if (free.every(Boolean)) return prefix;
  }
  throw new Error('no ten free ports in a row');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject).end();
  });
}

const yaml = (m: string, prefix: number, replicas: number) =>
  [
    'version: 1',
    'services:',
    '  web:',
    `    command: [node, server.js, "w\${replica}-${m}"]`,
    `    replicas: ${replicas}`,
    `    env: { PORT: "${prefix}\${replica}" }`,
    `    ports: ["${prefix}\${replica}"]`,
    `    ready: { http: "http://127.0.0.1:${prefix}\${replica}/", interval: 50ms }`,
    '    stop: { timeout: 5s }',
    '  proxy:',
    `    command: [node, proxy.js, "proxy-${m}"]`,
    `    env: { PORT: "${prefix}9", BACKENDS: "${prefix}0,${prefix}1,${prefix}2" }`,
    '    dependsOn: [web]',
    '    ready: { log: proxy ready }',
    '',
  ].join('\n');

/** A client loop through the proxy while `stack restart web` rolls: not one failed request. */
async function expectServedThroughRestart(s: Scratch, prefix: number): Promise<void> {
  const restart = spawnCli(['restart', 'web', '-f', s.file]);
  let ok = 0;
  const failed: string[] = [];
  while (!restart.result()) {
    const answer = await get(prefix * 10 + 9).catch((error: Error) => ({ status: 0, body: error.message }));
    if (answer.status === 200) ok += 1;
    else failed.push(`${answer.status} ${answer.body}`);
  }
  const result = await restart.done;
  expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
  expect(failed).toEqual([]);
  expect(ok).toBeGreaterThan(20);
  expect(result.stdout).toContain('one at a time');
  expect(result.stdout).toMatch(/~ web\.0\s+stop[\s\S]*~ web\.0\s+start[\s\S]*~ web\.1\s+stop[\s\S]*~ web\.1\s+start/);
}

const rows = (s: Scratch) => statusJson(s.file).services.map((row) => `${row.name} ${row.observed}`);

describe('replicas', () => {
  it('runs N processes with their own STACK_REPLICA and port, scales in the plan, and restarts them one at a time behind a proxy', async () => {
    const m = cleanup.marker(uniqueMarker());
    const prefix = await freePrefix();
    const s = cleanup.scratch(yaml(m, prefix, 3), { 'server.js': SERVER, 'proxy.js': PROXY });

    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    expect(rows(s)).toEqual(['web.0 running', 'web.1 running', 'web.2 running', 'proxy running']);
    for (const replica of [0, 1, 2]) expect((await get(prefix * 10 + replica)).body).toBe(`w${replica}-${m} ${replica}`);
    // The service's name means each of its replicas.
    const named = stack(['status', 'web', '--json', '-f', s.file]);
    expect((JSON.parse(named.stdout) as { services: { name: string }[] }).services.map((row) => row.name)).toEqual(['web.0', 'web.1', 'web.2']);
    const logs = stack(['logs', 'web', '--json', '--file', s.file]);
    expect(logs.code, logs.stderr).toBe(0);
    expect([...new Set(logs.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { service: string }).service))].sort()).toEqual(['web.0', 'web.1', 'web.2']);

    // 3 → 2: the plan removes web.2 and nothing else.
    s.write(yaml(m, prefix, 2));
    const down = stack(['plan', '--json', '-f', s.file]);
    expect((JSON.parse(down.stdout) as { actions: { service: string; op: string }[] }).actions.map((action) => `${action.op} ${action.service}`)).toEqual(['stop web.2', 'uninstall web.2']);
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    expect(rows(s)).toEqual(['web.0 running', 'web.1 running', 'proxy running']);
    expect(await isFree(prefix * 10 + 2)).toBe(true);

    await expectServedThroughRestart(s, prefix);

    // 2 → 3: the plan adds web.2 back.
    s.write(yaml(m, prefix, 3));
    const up = stack(['plan', '--json', '-f', s.file]);
    expect((JSON.parse(up.stdout) as { actions: { service: string; op: string }[] }).actions.map((action) => `${action.op} ${action.service}`)).toEqual(['install web.2', 'start web.2']);
  });

  it('rolls under a controller too: the restart it is asked for keeps the proxy serving', async () => {
    const m = cleanup.marker(uniqueMarker());
    const prefix = await freePrefix();
    const s = cleanup.scratch(yaml(m, prefix, 2), { 'server.js': SERVER, 'proxy.js': PROXY });
    const watch = cleanup.cli(['watch', '--interval', '10m', '-f', s.file]);
    await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 10_000, 'the "watching" line');
    await waitFor(() => existsSync(join(s.dir, '.stack', 'api.sock')), 10_000, "the controller's API");
    await waitFor(() => get(prefix * 10 + 9).then((answer) => answer.status === 200, () => false), 15_000, 'the proxy to serve');
    await expectServedThroughRestart(s, prefix);
  });
});
