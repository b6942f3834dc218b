// `stack mcp` (docs/mcp.md) spoken to by the MCP SDK's own client over stdio, as an agent's host
// would: the real command against a real stack of `sleep` services, with and without a controller.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/controller.js';
import { gitIn } from '../support/git-repo.js';
import { uniqueMarker } from '../support/marker.js';
import { connectMcp } from '../support/mcp.js';
import { stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await cleanup.run();
});

const connect = (dir: string, args: string[] = []) => connectMcp(clients, dir, { args });

const sleeper = (name: string, marker: string, extra = '') => `  ${name}:\n    command: sleep ${marker}\n${extra}`;

/** A stack applied without a controller: `web` prints its token, `db` sleeps. */
function applied(marker: string, secret: string) {
  const s = cleanup.scratch(`version: 1\nproject: mcptest\nservices:\n  web:\n    command: sh -c 'echo token=$$API_TOKEN; echo ready; exec sleep ${marker}'\n    env:\n      API_TOKEN: ${secret}\n${sleeper('db', marker)}`);
  const result = stack(['apply', '--yes', '-f', s.file]);
  expect(result.code, result.stderr).toBe(0);
  return s;
}

describe('stack mcp, read-only (the default)', () => {
  it('lists its tools with schemas; status, plan, validate, check, logs and the resources answer as the JSON contracts say', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(m, `s3cret-${m}`);
    const { client, call, read } = await connect(s.dir);

    const tools = (await client.listTools()).tools;
    expect(tools.map((tool) => tool.name).sort()).toEqual(['apply', 'check', 'diff', 'disable', 'enable', 'events', 'logs', 'plan', 'restart', 'start', 'status', 'stop', 'validate']);
    expect(tools.every((tool) => tool.outputSchema?.type === 'object')).toBe(true);
    expect(tools.find((tool) => tool.name === 'status')?.annotations).toMatchObject({ readOnlyHint: true });
    expect(tools.find((tool) => tool.name === 'apply')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });

    const status = await call('status');
    expect(status.isError).toBe(false);
    expect(status.body).toMatchObject({ formatVersion: 1, project: 'mcptest' });
    expect(status.body.services.map((row: { name: string; observed: string }) => [row.name, row.observed])).toEqual([['web', 'running'], ['db', 'running']]);
    expect((await call('status', { services: ['nope'] })).body).toMatchObject({ exitCode: 4 });
    // Nothing an agent passes is read as an option.
    expect((await call('status', { services: ['--file=/etc/stack.yaml'] })).body).toMatchObject({ error: 'not a service name: "--file=/etc/stack.yaml"', exitCode: 4 });
    expect((await call('diff', { from: '--output=/tmp/x' })).body).toMatchObject({ error: 'not a git revision: "--output=/tmp/x"' });
    expect((await call('stop', { service: '-f' })).isError).toBe(true);

    const plan = await call('plan');
    expect(plan.body).toMatchObject({ formatVersion: 1, actions: [], blocked: [], fieldDiffs: [], planHash: expect.stringMatching(/^sha256:/) });

    // A proposed text: its issues with line and column, or the plan it would make; stack.yaml is not touched.
    const before = readFileSync(s.file, 'utf8');
    const invalid = await call('validate', { text: 'version: 1\nservices:\n  x:\n    command: 3\n' });
    expect(invalid.body).toMatchObject({ valid: false, issues: [{ path: "services.x.command", file: "stack.yaml", line: 4, column: 5 }] });
    const valid = await call('validate', { text: `${before}${sleeper('cache', `${m}9`)}` });
    expect(valid.body).toMatchObject({ valid: true, services: ['web', 'db', 'cache'], plan: { actions: [{ service: 'cache', op: 'install' }, { service: 'cache', op: 'start' }] } });
    expect(readFileSync(s.file, 'utf8')).toBe(before);
    expect(stack(['status', '--json', '-f', s.file]).stdout).not.toContain('cache');

    expect((await call('check')).body).toMatchObject({ formatVersion: 1, checks: expect.arrayContaining([expect.objectContaining({ check: expect.any(String), ok: expect.any(Boolean) })]) });

    await waitFor(() => readFileSync(`${s.dir}/.stack/logs/web.log`, 'utf8').includes('ready'), 5000, 'the log written');
    const ready = { text: 'ready', stream: 'stdout', at: expect.stringMatching(/^\d{4}-.*\.\d{6}Z$/) };
    expect((await call('logs', { service: 'web', lines: 1 })).body).toMatchObject({ service: 'web', lines: [ready], truncated: false });
    expect((await call('logs', { service: 'web', grep: '^rea(d)+y$' })).body).toMatchObject({ lines: [ready], grep: '^rea(d)+y$' });
    expect((await call('logs', { service: 'web', maxBytes: 6 })).body).toMatchObject({ lines: [ready], truncated: true });
    // A window of time: everything read in the last minute, nothing from an hour ahead; stderr alone is empty here.
    expect((await call('logs', { service: 'web', since: '1m' })).body.lines.map((line: { text: string }) => line.text)).toEqual(['── web started ──', 'token=(sensitive)', 'ready']);
    expect((await call('logs', { service: 'web', since: new Date(Date.now() + 3_600_000).toISOString() })).body.lines).toEqual([]);
    expect((await call('logs', { service: 'web', stderr: true })).body.lines).toEqual([]);
    expect((await call('logs', { service: 'web', since: 'yesterday' })).body.error).toMatch(/^since takes a duration ago/);
    expect((await call('logs', { service: 'nope' })).body).toMatchObject({ error: 'stack.yaml declares no service "nope"', exitCode: 4 });
    expect((await call('logs', { service: 'web', grep: '(' })).body.error).toMatch(/^grep is not a pattern RE2 takes/);

    expect(await read('stack://stack.yaml')).toContain('API_TOKEN: (sensitive)');
    expect(JSON.parse(await read('stack://plan/last'))).toMatchObject({ planHash: plan.body.planHash });
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual(expect.arrayContaining(['stack://stack.yaml', 'stack://plan/last', 'stack://logs/web', 'stack://logs/db']));
    expect(await read('stack://logs/web')).toMatch(/^\d{4}-\S+Z \| ready$/m);
  });

  it('refuses the verbs and apply, saying what they would do and how to allow them; nothing changes', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(m, `s3cret-${m}`);
    const { call } = await connect(s.dir);
    const before = readFileSync(s.file, 'utf8');

    const stop = await call('stop', { service: 'db' });
    expect(stop.isError).toBe(true);
    expect(stop.body).toMatchObject({
      error: 'stop is not allowed: stack mcp was started without the edit permission',
      howToAllow: expect.stringContaining('--allow edit'),
      wouldDo: { edited: ['db'], valid: true, plan: { actions: [{ service: 'db', op: 'stop' }] } },
    });
    const plan = await call('plan');
    const apply = await call('apply', { planHash: plan.body.planHash });
    expect(apply.isError).toBe(true);
    expect(apply.body).toMatchObject({ error: 'apply is not allowed: stack mcp was started without the apply permission', howToAllow: expect.stringContaining('--allow apply'), plan: { planHash: plan.body.planHash } });
    expect(readFileSync(s.file, 'utf8')).toBe(before);
    expect(s.state().services.db?.pid).toEqual(expect.any(Number));
  });
});

describe('stack mcp --allow edit,apply', () => {
  it('a verb edits stack.yaml and carries it out; apply carries out exactly the plan shown, and a stale one is refused', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(m, `s3cret-${m}`);
    const { call } = await connect(s.dir, ['--allow', 'edit,apply']);

    const stopped = await call('stop', { service: 'db' });
    expect(stopped.isError, stopped.text).toBe(false);
    expect(stopped.body).toMatchObject({ formatVersion: 1, exitCode: 0 });
    expect(readFileSync(s.file, 'utf8')).toMatch(/ {2}db:\n {4}command: sleep \d+\n {4}state: stopped\n/);
    expect(s.state().services.db?.pid ?? null).toBeNull();

    // An edit by hand: plan shows it, apply carries out that plan.
    s.write(readFileSync(s.file, 'utf8').replace('    state: stopped\n', ''));
    const plan = await call('plan');
    expect(plan.body.actions).toEqual([expect.objectContaining({ service: 'db', op: 'start' })]);
    // The file changes again before apply: the plan shown is stale, refused, nothing done.
    s.write(`${readFileSync(s.file, 'utf8')}${sleeper('cache', `${m}7`)}`);
    cleanup.marker(`${m}7`);
    const stale = await call('apply', { planHash: plan.body.planHash });
    expect(stale.isError, stale.text).toBe(true);
    expect(stale.body.error).toMatch(/the plan changed since it was shown/);
    expect(s.state().services.db?.pid ?? null).toBeNull();

    const fresh = await call('plan');
    const done = await call('apply', { planHash: fresh.body.planHash });
    expect(done.body, done.text).toMatchObject({ exitCode: 0 });
    expect(s.state().services.db?.pid).toEqual(expect.any(Number));
    expect(s.state().services.cache?.pid).toEqual(expect.any(Number));
    expect((await call('apply', { planHash: 'sha256:nothing' })).body.error).toMatch(/no plan with this hash was shown/);
    // The other verbs: restart stops and starts it now; disable and enable edit the file.
    const pid = s.state().services.db?.pid;
    expect((await call('restart', { service: 'db' })).body).toMatchObject({ exitCode: 0 });
    expect(s.state().services.db?.pid).not.toBe(pid);
    expect((await call('disable', { service: 'cache' })).body).toMatchObject({ exitCode: 0 });
    expect(readFileSync(s.file, 'utf8')).toMatch(/ {2}cache:\n {4}command: sleep \d+\n {4}enabled: false\n/);
    expect(s.state().services.cache?.pid ?? null).toBeNull();
    expect((await call('enable', { service: 'cache' })).body).toMatchObject({ exitCode: 0 });
    expect(s.state().services.cache?.pid).toEqual(expect.any(Number));
    expect((await call('start', { service: 'db' })).body).toMatchObject({ exitCode: 0 });

    // A run that fails is an error for the agent, with what the command said.
    s.write(`${readFileSync(s.file, 'utf8')}  broken: [\n`);
    const failed = await call('start', { service: 'db' });
    expect(failed.isError).toBe(true);
    expect(failed.body).toMatchObject({ exitCode: 5, error: expect.stringMatching(/stack\.yaml:\d+:\d+/) });
  });
});

describe('stack mcp and mcp.allow in stack.yaml', () => {
  it('grants what it lists when the server starts (an edit meanwhile grants nothing); --allow replaces it; a refused apply shows the plan now', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = applied(m, `s3cret-${m}`);
    const text = readFileSync(s.file, 'utf8').replace('project: mcptest\n', 'project: mcptest\nmcp: { allow: [apply] }\n');
    s.write(text);
    const { call } = await connect(s.dir);
    const stop = await call('stop', { service: 'db' });
    expect(stop.body).toMatchObject({ error: 'stop is not allowed: stack mcp was started without the edit permission', howToAllow: expect.stringContaining('`mcp: { allow: [edit] }` in stack.yaml') });
    // Read when the server started: the file granting edit now changes nothing until it starts again.
    s.write(text.replace('allow: [apply]', 'allow: [edit, apply]'));
    expect((await call('stop', { service: 'db' })).body.error).toMatch(/^stop is not allowed/);
    expect(s.state().services.db?.pid).toEqual(expect.any(Number));
    s.write(`${text}${sleeper('cache', `${m}7`)}`);
    cleanup.marker(`${m}7`);
    const plan = await call('plan');
    expect((await call('apply', { planHash: plan.body.planHash })).body, 'apply by mcp.allow').toMatchObject({ exitCode: 0 });
    expect(s.state().services.cache?.pid).toEqual(expect.any(Number));

    // --allow none: the key is not read; a refused apply with no plan shown yet shows the plan now.
    s.write(text);
    const refused = await connect(s.dir, ['--allow', 'none']);
    const apply = await refused.call('apply', { planHash: 'sha256:none-shown' });
    expect(apply.body).toMatchObject({ error: 'apply is not allowed: stack mcp was started without the apply permission', plan: { actions: expect.arrayContaining([expect.objectContaining({ service: 'cache', op: 'stop' })]), planHash: expect.stringMatching(/^sha256:/) } });
    expect(s.state().services.cache?.pid).toEqual(expect.any(Number));
  });
});

describe('stack mcp and a controller', () => {
  it('events since a cursor: a kill -9 under `stack watch` reads exited, restarting, running; the next call with its cursor returns only newer ones', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(`version: 1\nproject: mcptest\ndefaults:\n  restart: { backoff: { initial: 100ms, max: 200ms } }\nservices:\n${sleeper('a', m)}${sleeper('b', m)}`);
    const watch = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await watch.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 15_000, 'the "watching" line');
    await waitFor(() => typeof s.state().services.a?.pid === 'number', 15_000, 'a running');
    const { call } = await connect(s.dir);
    const first = await call('events', { services: ['a'] });
    expect(first.isError, first.text).toBe(false);
    const cursor = first.body.next as string;
    expect(cursor).toEqual(expect.any(String));

    process.kill(s.state().services.a?.pid as number, 'SIGKILL');
    await waitFor(async () => (await call('events', { cursor, services: ['a'] })).body.events.some((event: { type: string }) => event.type === 'running'), 15_000, 'a running again');
    const newer = await call('events', { cursor, services: ['a'] });
    expect(newer.body.events.filter((event: { type: string }) => event.type !== 'phase').map((event: { type: string }) => event.type)).toEqual(['exited', 'restarting', 'running']);
    expect((await call('events', { cursor: newer.body.next, services: ['a'] })).body).toMatchObject({ events: [], more: false, next: newer.body.next });
    // One at a time: every event once, in order.
    let paged: string[] = [];
    let next: string | undefined = cursor;
    for (let page = 0; page < 50; page += 1) {
      const answer = await call('events', { cursor: next, services: ['a'], limit: 1 });
      paged = [...paged, ...answer.body.events.map((event: { type: string; at: string }) => `${event.at} ${event.type}`)];
      next = answer.body.next;
      if (!answer.body.more) break;
    }
    expect(paged).toEqual(newer.body.events.map((event: { type: string; at: string }) => `${event.at} ${event.type}`));

    expect((await call('status')).body.services.find((row: { name: string }) => row.name === 'a')).toMatchObject({ observed: 'running', restarts: 1 });
    expect((await call('events', { cursor: 'yesterday' })).body.error).toMatch(/not a cursor/);
  });
});

describe('stack mcp and secrets', () => {
  it('a secret value is in no answer: logs, stack.yaml, plan, validate, a refused verb, events, errors', async () => {
    const m = cleanup.marker(uniqueMarker());
    const secret = `s3cret-${m}-value`;
    const s = applied(m, secret);
    gitIn(s.dir, 'init', '-q');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '-qm', 'first');
    const { call, read, seen } = await connect(s.dir);
    await waitFor(() => readFileSync(`${s.dir}/.stack/logs/web.log`, 'utf8').includes('ready'), 5000, 'the log written');

    expect((await call('logs', { service: 'web', grep: '^[rt]' })).body.lines.map((line: { text: string }) => line.text)).toEqual(['token=(sensitive)', 'ready']);
    await call('logs', { service: 'web', grep: 'token' });
    await read('stack://stack.yaml');
    await read('stack://logs/web');
    // A new value in the file: the plan and the diff say it changed, never to what; the old one stays hidden.
    const next = `n3xt-${m}-value`;
    s.write(readFileSync(s.file, 'utf8').replace(secret, next));
    expect((await call('plan')).body.fieldDiffs).toEqual([{ service: 'web', op: 'stop', lines: ['env.API_TOKEN: (sensitive)'] }]);
    const diff = await call('diff');
    expect(diff.body.services, diff.text).toEqual([expect.objectContaining({ service: 'web', change: 'changed' })]);
    await call('validate', { text: readFileSync(s.file, 'utf8').replace(next, `${secret}\n      BROKEN: [`) });
    await call('validate', { text: readFileSync(s.file, 'utf8') });
    await call('stop', { service: 'web' });
    await call('status');
    await call('events');
    await call('logs', { service: 'web', grep: secret });
    await read('stack://stack.yaml');
    await read('stack://logs/web');

    // Written with a YAML escape, the value is still found (as YAML decodes it).
    const escaped = `"\\u006e${next.slice(1)}"`;
    s.write(readFileSync(s.file, 'utf8').replace(next, escaped));
    expect(stack(['validate', '-f', s.file]).code).toBe(0);
    const shown = await read('stack://stack.yaml');
    expect(shown).toContain('API_TOKEN: (sensitive)');
    expect(shown).not.toContain(escaped);

    expect(readFileSync(`${s.dir}/.stack/logs/web.log`, 'utf8')).toContain(secret);
    expect(seen.length).toBeGreaterThan(15);
    for (const text of seen) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(next);
    }
  });
});
