// `stack mcp` (docs/mcp.md) called as a prompt-injected agent would: hostile arguments to the
// read-only tools must run nothing, read nothing outside the stack, show nothing of the server's
// environment and spoil no later answer; failures say why with file:line:col.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';
import { connectMcp } from '../support/mcp.js';
import { stack } from '../support/stack-cli.js';

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
