// `stack mcp` (docs/mcp.md) called as a prompt-injected agent would: hostile arguments to the
// read-only tools must run nothing, read nothing outside the stack, show nothing of the server's
// environment and spoil no later answer; failures say why with file:line:col.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, lockOf, sleepsWith } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';
import { connectMcp } from '../support/mcp.js';
import { spawn } from 'node:child_process';
import { isAlive, STACK_BIN, stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await cleanup.run();
});

const connect = (dir: string, env: Record<string, string> = {}) => connectMcp(clients, dir, { env });

/** A stack applied without a controller; `files` by path inside its folder (folders made). */
function applied(yaml: string, files: Record<string, string> = {}) {
  const s = cleanup.scratch(yaml);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(s.dir, path)), { recursive: true });
    writeFileSync(join(s.dir, path), text);
  }
  const result = stack(['apply', '--yes', '-f', s.file]);
  expect(result.code, result.stderr).toBe(0);
  return s;
}

describe('stack mcp validate, given a hostile text', () => {
  it('runs no command the text gives: an applied exec service\'s new status, another plugin\'s status; the plan still says what would change', async () => {
    const m = cleanup.marker(uniqueMarker());
    const yaml = `version: 1\nproject: attacks\nservices:\n  web:\n    command: sleep ${m}\n  ex:\n    exec:\n      start: touch up\n      stop: rm -f up\n      status: [test, -f, up]\n  pl:\n    plugin: ./plug\n`;
    const plugin = (status: string) => `name: p\nlifecycle:\n  start: "true"\n  stop: "true"\n  status: ${status}\n`;
    const s = applied(yaml, { 'plug/plugin.yaml': plugin('"true"'), 'evil/plugin.yaml': plugin(`touch ${'ran-plugin'}`) });
    const { call } = await connect(s.dir);

    const exec = await call('validate', { text: yaml.replace('[test, -f, up]', '[touch, ran-exec]') });
    expect(exec.body.plan.actions).toEqual([expect.objectContaining({ service: 'ex', op: 'stop', reason: 'spec changed: exec.status' }), expect.objectContaining({ service: 'ex', op: 'start' })]);
    const plugged = await call('validate', { text: yaml.replace('./plug', './evil') });
    expect(plugged.body.plan.actions).toContainEqual(expect.objectContaining({ service: 'pl', op: 'install' }));
    expect(existsSync(join(s.dir, 'ran-exec'))).toBe(false);
    expect(existsSync(join(s.dir, 'evil', 'ran-plugin'))).toBe(false);
    // The services are still observed, as stack.yaml declares them.
    expect((await call('validate', { text: yaml })).body.plan.actions).toEqual([]);
  });

  it('reads no file outside the stack folder that stack.yaml does not name: no line of it, nor whether it exists', async () => {
    const outside = cleanup.scratch('version: 1\nservices: {}\n', { 'secret.env': 'not a line of NAME=value\n' });
    const m = cleanup.marker(uniqueMarker());
    const base = `version: 1\nproject: attacks\nservices:\n  web:\n    command: sleep ${m}\n`;
    const s = cleanup.scratch(base);
    const { call, seen } = await connect(s.dir);
    const web = (key: string) => (path: string) => `${base}    ${key}: ${path}\n`;
    const plugin = (path: string) => `${base}  pl:\n    plugin: ${path}\n`;
    for (const [text, path] of [[web('envFile'), '/etc/passwd'], [web('envFile'), join(outside.dir, 'secret.env')], [web('envFile'), '/nonexistent/x.env'], [web('cwd'), '/'], [web('cwd'), '/nonexistent'], [plugin, outside.dir]] as const) {
      const answer = await call('validate', { text: text(path) });
      expect(answer.body).toMatchObject({ valid: false, issues: [{ message: `${path} is outside ${s.dir} and stack.yaml does not name it: validate does not read it` }] });
    }
    expect(seen.join('\n')).not.toMatch(/root|not a line|not found|does not exist/);

    // What stack.yaml names already is read as it is by `stack validate`.
    s.write(`${base}    envFile: ${join(outside.dir, 'secret.env')}\n`);
    const named = await call('validate', { text: `${base}    envFile: ${join(outside.dir, 'secret.env')}\n` });
    expect(named.body.issues[0].message).toMatch(/line 1 .*is not NAME=value/);
  });

  it('reads nothing outside through a symlink inside the folder, nor past an auto port: env file, folder, plugin.yaml, compose file, inputs', async () => {
    const outside = cleanup.scratch('version: 1\nservices: {}\n', { 'secret.env': 'leakword and the rest\n', 'plugin.yaml': 'leakkey: 1\n', 'dc.yml': 'services: {}\n' });
    mkdirSync(join(outside.dir, 'plug'));
    writeFileSync(join(outside.dir, 'plug', 'plugin.yaml'), 'leakkey: 1\n');
    const m = cleanup.marker(uniqueMarker());
    const base = `version: 1\nproject: attacks\nservices:\n  web:\n    command: sleep ${m}\n`;
    const s = cleanup.scratch(base);
    symlinkSync(join(outside.dir, 'secret.env'), join(s.dir, 'out.env'));
    symlinkSync(outside.dir, join(s.dir, 'linked'));
    symlinkSync(join(outside.dir, 'dc.yml'), join(s.dir, 'dc.yml'));
    mkdirSync(join(s.dir, 'pl'));
    symlinkSync(join(outside.dir, 'plugin.yaml'), join(s.dir, 'pl', 'plugin.yaml'));
    const { call, seen } = await connect(s.dir);
    const cases: [string, string][] = [
      [`${base}    envFile: ./out.env\n`, join(s.dir, 'out.env')],
      [`${base}    envFile: ./linked/secret.env\n`, join(s.dir, 'linked', 'secret.env')],
      [`${base}    cwd: ./linked\n`, join(s.dir, 'linked')],
      [`${base}  pl:\n    plugin: ./pl\n`, join(s.dir, 'pl', 'plugin.yaml')],
      [`${base}  pl:\n    plugin: ./linked/plug\n`, join(s.dir, 'linked', 'plug')],
      [`${base}  dc:\n    compose: { file: ./dc.yml }\n`, join(s.dir, 'dc.yml')],
      [`${base}  t:\n    kind: task\n    command: "true"\n    inputs: ["linked/*.env"]\n`, join(s.dir, 'linked')],
      [`${base}  t:\n    kind: task\n    command: "true"\n    inputs: ["../**"]\n`, dirname(s.dir)],
      // An auto port makes the loader pick ports first: the file it names is judged all the same.
      [`${base}    ports: { http: auto }\n    envFile: ${join(outside.dir, 'secret.env')}\n`, join(outside.dir, 'secret.env')],
    ];
    for (const [text, path] of cases) {
      const answer = await call('validate', { text });
      expect(answer.body, text).toMatchObject({ valid: false, issues: expect.arrayContaining([expect.objectContaining({ message: `${path} is outside ${s.dir} and stack.yaml does not name it: validate does not read it` })]) });
    }
    expect(seen.join('\n')).not.toMatch(/leakword|leakkey/);
    // Nothing was written: no port kept for a proposal.
    expect(existsSync(join(s.dir, '.stack', 'ports.json'))).toBe(false);
    expect((await call('validate', { text: `${base}    ports: { http: auto }\n` })).body).toMatchObject({ valid: true, plan: { ports: { web: { http: expect.any(Number) } } } });
    expect(existsSync(join(s.dir, '.stack', 'ports.json'))).toBe(false);
  });

  it('fetches no git plugin (no connection is made: a URL could carry a value out) and reads no variable of .env that stack.yaml does not use', async () => {
    const connections: Socket[] = [];
    const server = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const outside = cleanup.scratch('version: 1\nservices: {}\n', { 'secret.env': 'leakword and the rest\n' });
      const m = cleanup.marker(uniqueMarker());
      const base = `version: 1\nproject: attacks\nservices:\n  web:\n    command: sleep \${SLEEP_FOR}\n`;
      const s = cleanup.scratch(base, { '.env': `SLEEP_FOR=${m}\nTOKEN=dotenv-${m}-value\nSUB=../${basename(outside.dir)}\n` });
      const { call, seen } = await connect(s.dir);
      const commit = '0123456789abcdef0123456789abcdef01234567';
      const git = await call('validate', { text: `${base}  p:\n    plugin: { git: "http://127.0.0.1:${port}/\${TOKEN}/\${SLEEP_FOR}.git", commit: ${commit} }\n` });
      expect(git.body).toMatchObject({
        valid: true,
        unread: ['TOKEN'],
        warnings: expect.arrayContaining([expect.objectContaining({ message: expect.stringMatching(/^service "p": its git plugin is not fetched yet, and validate does not fetch it/) })]),
        plan: { actions: expect.arrayContaining([expect.objectContaining({ service: 'p', op: 'install' })]) },
      });
      expect(connections).toHaveLength(0);
      expect(existsSync(join(s.dir, '.stack', 'plugins'))).toBe(false);
      // A variable of .env only the text names is unset: a path built from it stays inside.
      const sub = await call('validate', { text: `${base}    envFile: ./\${SUB}/secret.env\n` });
      expect(sub.body).toMatchObject({ valid: false, unread: ['SUB'] });
      expect(seen.join('\n')).not.toMatch(new RegExp(`leakword|dotenv-${m}`));
    } finally {
      server.close();
    }
  });

  it('reads no variable of the server\'s environment that stack.yaml does not use, saying so; one it uses is read', async () => {
    const m = cleanup.marker(uniqueMarker());
    const base = `version: 1\nproject: attacks\nservices:\n  web:\n    command: sleep \${SLEEP_FOR}\n`;
    const s = cleanup.scratch(base);
    const { call, seen } = await connect(s.dir, { DATABASE_URL: `postgres://me:pw-${m}@db/x`, SLEEP_FOR: m });
    const answers = [
      await call('validate', { text: base.replace('project: attacks', 'project: "${DATABASE_URL}"') }),
      await call('validate', { text: `${base}    dependsOn: ["\${DATABASE_URL}"]\n` }),
      await call('validate', { text: `${base}    env:\n      Z: "\${NOPE:?\${DATABASE_URL}}"\n` }),
    ];
    expect(seen.join('\n')).not.toContain(`pw-${m}`);
    expect(answers[0]?.body).toMatchObject({ valid: false, unread: ['DATABASE_URL'], note: expect.stringContaining('read as unset: DATABASE_URL') });
    const valid = await call('validate', { text: `${base}    env:\n      X: "\${DATABASE_URL}"\n` });
    expect(valid.body).toMatchObject({ valid: true, unread: ['DATABASE_URL'] });
    expect(valid.body.warnings[0].message).toMatch(/DATABASE_URL is not set/);
    expect((await call('validate', { text: base })).body).toMatchObject({ valid: true, warnings: [] });
  });

  it('a value in a proposal\'s secret spoils no later answer: status still says running', async () => {
    const m = cleanup.marker(uniqueMarker());
    const base = `version: 1\nproject: attacks\nservices:\n  web:\n    command: sleep ${m}\n`;
    const s = applied(base);
    const { call } = await connect(s.dir);
    const proposal = await call('validate', { text: `${base}    env:\n      API_TOKEN: running\n` });
    expect(proposal.body.valid).toBe(true);
    expect((await call('status')).body.services).toEqual([expect.objectContaining({ name: 'web', observed: 'running' })]);
  });
});

describe('stack mcp, its other tools given hostile arguments', () => {
  it('logs: a name that climbs out reads nothing; a pattern that backtracks in other engines answers at once over a long log, bounded in bytes', async () => {
    const m = cleanup.marker(uniqueMarker());
    // Lines of 64 KiB of "a" (the relay cuts longer ones), then one that ends in "b": (a+)+$ backtracks forever elsewhere.
    const s = applied(`version: 1\nproject: attacks\nservices:\n  web:\n    command: [node, -e, "for (let i = 0; i < 40; i++) console.log('a'.repeat(65536)); console.log('a'.repeat(5000) + 'b'); console.log('done'); setInterval(() => {}, 1e9)", ${m}]\n`);
    await waitFor(() => readFileSync(join(s.dir, '.stack', 'logs', 'web.log'), 'utf8').includes('done'), 15_000, 'the log written');
    const { call, client } = await connect(s.dir);
    expect((await call('logs', { service: '../web' })).body).toMatchObject({ error: 'stack.yaml declares no service "../web"', exitCode: 4 });
    expect((await call('logs', { service: '../../../../etc/passwd' })).body.exitCode).toBe(4);
    await expect(client.readResource({ uri: 'stack://logs/..%2F..%2Fetc%2Fpasswd' })).rejects.toThrow(/declares no service "\.\.\/\.\.\/etc\/passwd"/);
    const started = performance.now();
    const grep = await call('logs', { service: 'web', grep: '^(a+)+$', lines: 10_000, maxBytes: 200_000 });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(grep.body).toMatchObject({ truncated: true });
    expect(grep.body.lines.length).toBe(3);
    expect(Buffer.byteLength(grep.text)).toBeLessThan(3 * 200_000);
    expect((await call('logs', { service: 'web', grep: '(a+)+b$' })).body.lines.map((line: { text: string }) => line.text.length)).toEqual([5001]);
  });

  it('apply of the hash of a plan another stack\'s server showed is refused; nothing runs', async () => {
    const m = cleanup.marker(uniqueMarker());
    const yaml = (name: string) => `version: 1\nproject: ${name}\nservices:\n  web:\n    command: sleep ${m}\n`;
    const mine = cleanup.scratch(yaml('mine'));
    const other = cleanup.scratch(yaml('other'));
    const theirs = await connectMcp(clients, other.dir, { args: ['--allow', 'apply'] });
    const shown = await theirs.call('plan');
    expect(shown.body.actions.length).toBeGreaterThan(0);
    const { call } = await connectMcp(clients, mine.dir, { args: ['--allow', 'apply'] });
    expect((await call('plan')).body.planHash).not.toBe(shown.body.planHash);
    const apply = await call('apply', { planHash: shown.body.planHash });
    expect(apply.body.error).toMatch(/^no plan with this hash was shown/);
    expect(sleepsWith(m)).toHaveLength(0);
    expect(existsSync(join(mine.dir, '.stack', 'state.json'))).toBe(false);
  });
});

describe('stack mcp and an invalid stack.yaml', () => {
  it('each tool says why, with file:line:col, never a piece of JSON', async () => {
    const s = cleanup.scratch('version: 1\nservices:\n  web:\n    command: [\n');
    const { call } = await connect(s.dir);
    for (const tool of ['status', 'plan', 'check']) {
      const answer = await call(tool);
      expect(answer.isError, tool).toBe(true);
      expect(answer.body, tool).toMatchObject({ error: expect.stringMatching(/^stack\.yaml is not valid \(1 problem\): stack\.yaml:5:1: invalid YAML/), exitCode: 5 });
    }
    expect((await call('logs', { service: 'web' })).body.error).toMatch(/^stack\.yaml is not valid \(1 problem\): stack\.yaml:5:1: /);
    expect((await call('diff')).body).toMatchObject({ error: expect.stringMatching(/is not in a git repository$/), hint: expect.stringContaining('git init') });
  });
});

/** `stack mcp [args]` in `dir` spoken to line by line, its stdin a pipe the test writes and closes. */
function rawMcp(dir: string, args: string[] = []) {
  const child = spawn(process.execPath, [STACK_BIN, 'mcp', ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const answers = () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id?: number; result?: { structuredContent?: { planHash?: string } } });
  const send = (message: string) => child.stdin.write(`${message}\n`);
  const request = (id: number, method: string, params: object = {}) => send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  const answered = (id: number) => waitFor(() => answers().find((answer) => answer.id === id), 20_000, `the answer to request ${id}`);
  const begin = async () => {
    request(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    await answered(1);
    send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  };
  return { child, send, request, answered, begin, exited, stderr: () => stderr };
}

describe('stack mcp and its stdin', () => {
  it('skips lines that are not JSON-RPC messages, saying so in one line each, and goes on answering', async () => {
    const s = cleanup.scratch('version: 1\nservices: {}\n');
    const mcp = rawMcp(s.dir);
    await mcp.begin();
    mcp.send('not json at all');
    mcp.send('[1,2,3]');
    mcp.send('{"jsonrpc":"2.0","id":7,"method":5}');
    mcp.request(2, 'tools/list');
    expect(((await mcp.answered(2)) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
    mcp.child.stdin.end();
    expect(await mcp.exited).toBe(0);
    expect(mcp.stderr().split('\n').filter(Boolean).slice(1)).toEqual([
      expect.stringMatching(/^stack mcp: skipped a line on stdin that is not JSON \(.*"not json at all" is not valid JSON\)$/),
      'stack mcp: skipped a line on stdin that is not a JSON-RPC message',
      'stack mcp: skipped a line on stdin that is not a JSON-RPC message',
    ]);
  });

  it('its stdin closed while an apply runs: it ends (exit 0), the apply interrupted as Ctrl+C would, the stack left whole', async () => {
    const m = cleanup.marker(uniqueMarker());
    const yaml = `version: 1\nproject: attacks\nservices:\n  slow:\n    command: sleep ${m}\n    ready: { exec: "test -f ready", timeout: 30s }\n  after:\n    command: sleep ${m}\n    dependsOn: [slow]\n`;
    const s = cleanup.scratch(yaml);
    const mcp = rawMcp(s.dir, ['--allow', 'apply']);
    await mcp.begin();
    mcp.request(2, 'tools/call', { name: 'plan', arguments: {} });
    const planHash = (await mcp.answered(2)).result?.structuredContent?.planHash;
    mcp.request(3, 'tools/call', { name: 'apply', arguments: { planHash } });
    // slow started, its readiness awaited: the apply is half way.
    await waitFor(() => sleepsWith(m).length === 1, 20_000, 'slow started');
    mcp.child.stdin.end();
    expect(await mcp.exited).toBe(0);
    expect(mcp.stderr()).not.toMatch(/internal error|\n\s+at /);
    // The apply ended with the server (a lock it left names a process gone: the next command takes it).
    const holder = lockOf(s.dir)?.pid;
    expect(holder === undefined || !isAlive(holder)).toBe(true);
    // Nothing half done: a person's apply carries it on to the end, with no second copy of slow.
    writeFileSync(join(s.dir, 'ready'), '');
    const again = stack(['apply', '--yes', '-f', s.file]);
    expect(again.code, again.stderr).toBe(0);
    expect(Object.keys(s.state().services).sort()).toEqual(['after', 'slow']);
    expect(sleepsWith(m)).toHaveLength(2);
  });
});
