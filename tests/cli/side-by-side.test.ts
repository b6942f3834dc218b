// Stacks side by side (issue 31, points 5-7) on real processes: two git worktrees of one
// repository, each folder named `shop`, are applied at once. Each picks its own auto ports and
// keeps them in .stack/ports.json; its api finds its web through ${ports.web.http}; both serve;
// a re-apply keeps the ports; `stack check` warns that both are named shop; and each `down`
// stops only its own.
import { request } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitIn, makeRepo, removeTempFolders, tempFolder } from '../support/git-repo.js';
import { killRecordedGroups, spawnCli, stack, waitFor } from '../support/stack-cli.js';

// Answers with the folder it runs in; the api answers with what its web answered.
const WEB = `require('http').createServer((req, res) => res.end('web of ' + process.cwd())).listen(Number(process.argv[1]), '127.0.0.1');`;
const API = `
const http = require('http');
http.createServer((req, res) => {
  http.get(process.env.WEB_URL, { agent: false }, (answer) => {
    let body = '';
    answer.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => res.end('api saw ' + body));
  }).on('error', () => { res.statusCode = 502; res.end('no web'); });
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const STACK_YAML = `version: 1
services:
  web:
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(WEB)}, "\${ports.web.http}"]
    ports: { http: auto }
    ready: { http: "http://127.0.0.1:\${ports.web.http}/" }
  api:
    command: [${JSON.stringify(process.execPath)}, api.js]
    ports: { http: "auto:20000-29999" }
    env:
      PORT: "\${ports.api.http}"
      WEB_URL: "http://127.0.0.1:\${ports.web.http}/"
    ready: { http: "http://127.0.0.1:\${ports.api.http}/" }
    dependsOn: [web]
`;

const copies: string[] = [];
afterEach(() => {
  for (const copy of copies.splice(0)) killRecordedGroups(copy);
  removeTempFolders();
});

function get(port: number): Promise<{ status: number; body: string } | Error> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', resolve);
    req.end();
  });
}

interface Row {
  name: string;
  observed: string;
  ports: (number | string)[];
  namedPorts?: Record<string, number>;
}

function rowsOf(dir: string, env: NodeJS.ProcessEnv): Row[] {
  const result = stack(['status', '--json'], { cwd: dir, env });
  expect(result.stderr).toBe('');
  return (JSON.parse(result.stdout) as { services: Row[] }).services;
}

function portsOf(dir: string, env: NodeJS.ProcessEnv): { web: number; api: number } {
  const rows = rowsOf(dir, env);
  const named = (name: string) => rows.find((row) => row.name === name)?.namedPorts?.http as number;
  return { web: named('web'), api: named('api') };
}

describe('two worktrees of one repository, side by side', () => {
  it('apply at once, each serves on ports of its own, keeps them, and each down stops only its own', async () => {
    const repo = makeRepo({ 'stack.yaml': STACK_YAML, 'api.js': API, '.gitignore': '.stack/\n' });
    const parent = tempFolder('stack-side-');
    const [a, b] = ['a', 'b'].map((branch) => {
      mkdirSync(join(parent, branch));
      const dir = join(parent, branch, 'shop');
      gitIn(repo, 'worktree', 'add', '--quiet', '-b', branch, dir);
      copies.push(dir);
      return dir;
    }) as [string, string];
    // The registry of stacks seen, this test's own.
    const env = { XDG_STATE_HOME: tempFolder('stack-state-') };

    const applies = [a, b].map((dir) => spawnCli(['apply', '--yes'], { cwd: dir, env }));
    const results = await Promise.all(applies.map((running) => running.done));
    for (const result of results) expect(result, result.stderr).toMatchObject({ code: 0 });

    const [portsA, portsB] = [portsOf(a, env), portsOf(b, env)];
    expect(new Set([portsA.web, portsA.api, portsB.web, portsB.api]).size).toBe(4);
    expect(portsA.api).toBeGreaterThanOrEqual(20000);
    expect(portsA.api).toBeLessThanOrEqual(29999);
    for (const [dir, ports] of [[a, portsA], [b, portsB]] as const) {
      expect(await get(ports.web)).toEqual({ status: 200, body: `web of ${dir}` });
      expect(await get(ports.api)).toEqual({ status: 200, body: `api saw web of ${dir}` });
      const kept = JSON.parse(readFileSync(join(dir, '.stack', 'ports.json'), 'utf8')) as { ports: Record<string, number> };
      expect(kept.ports).toEqual({ 'web.http': ports.web, 'api.http': ports.api });
    }

    const plan = stack(['plan'], { cwd: a, env });
    expect(plan.stdout).toContain('No changes.');
    const again = stack(['apply', '--yes'], { cwd: a, env });
    expect(again.code, again.stderr).toBe(0);
    expect(portsOf(a, env)).toEqual(portsA);
    expect(stack(['plan', '--json'], { cwd: b, env }).stdout).toContain(`"web": {\n      "http": ${portsB.web}\n    }`);

    const check = stack(['check'], { cwd: a, env });
    expect(check.stdout).toContain(`the stack at ${join(b, 'stack.yaml')} is named shop too`);

    const down = stack(['down', '--yes'], { cwd: a, env });
    expect(down.code, down.stderr).toBe(0);
    await waitFor(async () => (await get(portsA.web)) instanceof Error && (await get(portsA.api)) instanceof Error, 10_000, "a's services to stop");
    expect(await get(portsB.web)).toEqual({ status: 200, body: `web of ${b}` });
    expect(await get(portsB.api)).toEqual({ status: 200, body: `api saw web of ${b}` });
    expect(rowsOf(b, env).map((row) => row.observed)).toEqual(['running', 'running']);

    // Kept across a down: the next apply serves on the same ports.
    expect(existsSync(join(a, '.stack', 'ports.json'))).toBe(true);
    expect(stack(['apply', '--yes'], { cwd: a, env }).code).toBe(0);
    expect(portsOf(a, env)).toEqual(portsA);
    for (const dir of [a, b]) expect(stack(['down', '--yes'], { cwd: dir, env }).code).toBe(0);
  }, 120_000);
});
