// `stack mcp` (docs/mcp.md): every tool called once with success by the SDK's own client, which
// checks each answer's structuredContent against the tool's output schema once it has listed the
// tools (a real host does the same), with and without a controller. Answers carry the fields the
// JSON contracts add (a plan's named `ports`, a diff's `project` and `summary`): a schema that
// forbade them would make the client throw.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup, lockOf } from '../support/controller.js';
import { gitIn } from '../support/git-repo.js';
import { uniqueMarker } from '../support/marker.js';
import { connectMcp, type Json } from '../support/mcp.js';
import { isAlive, stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  await cleanup.run();
});

const MODES = ['daemonless', 'controller'] as const;

describe.each(MODES)('stack mcp --allow edit,apply, %s', (mode) => {
  it('lists its tools; each one answers with structured content its output schema accepts (the SDK client validates it)', async () => {
    const m = cleanup.marker(uniqueMarker());
    const secret = `s3cret-${m}-value`;
    const yaml = `version: 1\nproject: contracts\nservices:\n  web:\n    command: sh -c 'echo token=$$API_TOKEN; echo ready; exec sleep ${m}'\n    env:\n      API_TOKEN: ${secret}\n    ports: { http: auto }\n  db:\n    command: sleep ${m}\n`;
    const s = cleanup.scratch(yaml);
    gitIn(s.dir, 'init', '-q');
    gitIn(s.dir, 'add', 'stack.yaml');
    gitIn(s.dir, 'commit', '-qm', 'first');
    const started = stack(mode === 'controller' ? ['up', '--detach', '--interval', '1s', '-f', s.file] : ['apply', '--yes', '-f', s.file]);
    expect(started.code, started.stderr).toBe(0);
    const controller = lockOf(s.dir)?.pid;
    expect(controller !== undefined).toBe(mode === 'controller');
    // A second revision: the diff between the two has a change.
    s.write(yaml.replace(`  db:\n    command: sleep ${m}\n`, `  db:\n    command: sleep ${m}\n    env: { LEVEL: debug }\n`));
    gitIn(s.dir, 'commit', '-qam', 'second');
    if (mode === 'daemonless') expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);

    const { client, seen } = await connectMcp(clients, s.dir, { args: ['--allow', 'edit,apply'] });
    const listed = (await client.listTools()).tools;
    expect(listed.every((tool) => tool.outputSchema?.type === 'object')).toBe(true);
    const called = new Set<string>();
    /** A call that must succeed: the client has thrown already if its structured content did not fit the schema. */
    const call = async (name: string, args: Record<string, unknown> = {}): Promise<Json> => {
      const result = await client.callTool({ name, arguments: args });
      const text = (result.content as { text: string }[]).map((part) => part.text).join('\n');
      seen.push(text, JSON.stringify(result.structuredContent ?? null));
      expect(result.isError, `${name}: ${text}`).not.toBe(true);
      expect(result.structuredContent, name).toEqual(JSON.parse(text));
      called.add(name);
      return result.structuredContent;
    };

    const status = await call('status');
    expect(status.services.map((row: { name: string; observed: string }) => [row.name, row.observed])).toEqual([['web', 'running'], ['db', 'running']]);
    if (controller !== undefined) expect(status.notice).toContain(`pid ${controller}`);
    else expect(status.notice).toBeUndefined();
    const plan = await call('plan');
    // A named port: the plan's body has `ports`, a field the contract adds.
    expect(plan).toMatchObject({ actions: [], ports: { web: { http: expect.any(Number) } }, planHash: expect.stringMatching(/^sha256:/) });
    expect(await call('validate', { text: `${readFileSync(s.file, 'utf8')}  cache:\n    command: sleep ${m}9\n` })).toMatchObject({ valid: true, plan: { actions: [{ service: 'cache', op: 'install' }, { service: 'cache', op: 'start' }] } });
    expect(await call('validate', { text: 'version: 1\nservices:\n  x:\n    command: 3\n' })).toMatchObject({ valid: false, issues: [{ line: 4, column: 5 }] });
    const diff = await call('diff', { from: 'HEAD~1', to: 'HEAD' });
    expect(diff).toMatchObject({ services: [{ service: 'db', change: 'changed' }], project: expect.anything(), summary: expect.anything() });
    expect((await call('check')).checks.length).toBeGreaterThan(0);
    await waitFor(() => readFileSync(join(s.dir, '.stack', 'logs', 'web.log'), 'utf8').includes('ready'), 10_000, 'the log written');
    expect((await call('logs', { service: 'web', grep: '^(token|ready)' })).lines.map((line: { text: string }) => line.text)).toEqual(['token=(sensitive)', 'ready']);
    const events = await call('events', { services: ['web'] });

    for (const [verb, service] of [['stop', 'db'], ['start', 'db'], ['restart', 'db'], ['disable', 'db'], ['enable', 'db']] as const) {
      expect(await call(verb, { service }), verb).toMatchObject({ exitCode: 0 });
    }
    await waitFor(() => typeof s.state().services.db?.pid === 'number', 10_000, 'db running again');
    // apply: a plan shown, carried out; one made stale by an edit since is refused.
    const shown = await call('plan');
    expect(await call('apply', { planHash: shown.planHash })).toMatchObject({ exitCode: 0 });
    const before = await call('plan');
    s.write(`${readFileSync(s.file, 'utf8')}  cache:\n    command: sleep ${m}8\n`);
    const stale = await client.callTool({ name: 'apply', arguments: { planHash: before.planHash } });
    expect(stale.isError).toBe(true);
    expect(JSON.stringify(stale.content)).toMatch(/the plan changed since it was shown/);

    expect([...called].sort()).toEqual(listed.map((tool) => tool.name).sort());
    for (const text of seen) expect(text).not.toContain(secret);

    if (controller !== undefined) {
      // The events came from the controller: it answers with them while events.log is away; once
      // it has ended, the same events are read back from events.log.
      const journal = join(s.dir, '.stack', 'events.log');
      renameSync(journal, `${journal}.away`);
      const live = await call('events', { services: ['web'] });
      expect(live.events.slice(0, events.events.length)).toEqual(events.events);
      expect(live.events.length).toBeGreaterThan(0);
      process.kill(controller, 'SIGTERM');
      await waitFor(() => !isAlive(controller), 15_000, 'the controller to end');
      renameSync(`${journal}.away`, journal);
      expect((await call('events', { services: ['web'] })).events.slice(0, live.events.length)).toEqual(live.events);
    }
  }, 90_000);
});
