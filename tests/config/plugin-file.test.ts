import { describe, expect, it } from 'vitest';
import { loadPluginText } from '../../src/config/plugin-file.js';
import { issueLines, yaml } from './helpers.js';

const DIR = '/home/ada/plugins/mem';
const load = (text: string, envFiles = new Map<string, string>()) => loadPluginText(text, DIR, envFiles, { displayFile: 'plugins/mem/plugin.yaml' });

describe('loadPluginText', () => {
  it('resolves commands, default timeouts, env and ports', () => {
    const loaded = load(yaml('name: mem', 'version: 1.2', 'lifecycle:', '  start: ./start.sh', '  stop: ./stop.sh', 'env: { PORT: 8787, DEBUG: true }', 'ports: [8787]', 'ignore: ["data/**"]'));
    expect(loaded.issues).toEqual([]);
    expect(loaded.plugin).toEqual({
      name: 'mem',
      version: '1.2',
      dir: DIR,
      lifecycle: { start: './start.sh', stop: './stop.sh' },
      timeoutsMs: { install: 300_000, start: 60_000, stop: 60_000, restart: 60_000, status: 60_000, logs: 60_000, uninstall: 60_000 },
      env: { PORT: '8787', DEBUG: 'true' },
      envFiles: [],
      secrets: [],
      ports: [{ port: 8787 }],
      ignore: ['data/**'],
      gitignore: true,
    });
  });

  it('leaves .gitignore out of the files digest only when told: gitignore: false', () => {
    expect(load(yaml('name: m', 'lifecycle: { start: a, stop: b }', 'gitignore: false')).plugin?.gitignore).toBe(false);
    expect(issueLines(load(yaml('name: m', 'lifecycle: { start: a, stop: b }', 'gitignore: nope')))).toEqual(['3:1 expected true or false']);
  });

  it('counts as secrets the values of its env files and of keys named like secrets', () => {
    const loaded = load(yaml('name: m', 'lifecycle: { start: a, stop: b }', 'envFile: keys.env', 'env: { LEVEL: info, API_TOKEN: tok-123456 }'), new Map([[`${DIR}/keys.env`, 'CERT=abc-cert-value\n']]));
    expect(loaded.issues).toEqual([]);
    expect(loaded.plugin?.secrets.sort()).toEqual(['abc-cert-value', 'tok-123456']);
  });

  it('takes one timeout for every command, or one per command', () => {
    const all = load(yaml('name: m', 'lifecycle: { start: a, stop: b, timeout: 5s }'));
    expect(all.plugin?.timeoutsMs).toMatchObject({ install: 5000, start: 5000, status: 5000 });
    const each = load(yaml('name: m', 'lifecycle: { start: a, stop: b, timeout: { install: 10m, stop: 2s } }'));
    expect(each.plugin?.timeoutsMs).toMatchObject({ install: 600_000, stop: 2000, start: 60_000 });
  });

  it('reports every problem with its line and column, unknown keys with a suggestion', () => {
    const loaded = load(yaml('name: mem', 'lifecycle:', '  strat: ./start.sh', '  stop: ""', '  timeout: 10', 'ignore: nope'));
    expect(issueLines(loaded)).toEqual([
      '2:1 missing required key "start"',
      '3:3 unknown key "strat" (did you mean "start"?)',
      '4:3 the stop command must not be empty',
      '5:3 expected a duration (for every command) or a map of command → duration',
      '6:1 expected a list of globs',
    ]);
    expect(loaded.issues[0]?.position?.file).toBe('plugins/mem/plugin.yaml');
  });

  it('needs a name and a lifecycle', () => {
    expect(issueLines(load(yaml('description: x')))).toEqual(['1:1 missing required key "name"', '1:1 missing required key "lifecycle"']);
  });

  it('reads env files relative to the plugin folder, env winning', () => {
    const first = load(yaml('name: m', 'lifecycle: { start: a, stop: b }', 'envFile: .env', 'env: { B: two }'));
    expect(first.envFilesWanted).toEqual([`${DIR}/.env`]);
    expect(issueLines(first)).toEqual(['3:1 env file .env not found']);
    const second = load(yaml('name: m', 'lifecycle: { start: a, stop: b }', 'envFile: .env', 'env: { B: two }'), new Map([[`${DIR}/.env`, 'A=one\nB=one\n']]));
    expect(second.plugin?.env).toEqual({ A: 'one', B: 'two' });
  });

  it('refuses env names a shell would not take, in env and in env files', () => {
    const text = yaml('name: m', 'lifecycle: { start: a, stop: b }', 'envFile: .env', 'env: { "A=B": x }');
    expect(issueLines(load(text))).toEqual(['4:8 env name "A=B" is not allowed: use letters, digits and "_", not starting with a digit']);
    const fixed = text.replace('"A=B"', 'AB');
    expect(issueLines(load(fixed, new Map([[`${DIR}/.env`, '9LIVES=1\n']])))).toEqual([
      '3:1 env file .env sets "9LIVES", which is not allowed: use letters, digits and "_", not starting with a digit',
    ]);
  });

  it('reports broken YAML instead of throwing', () => {
    expect(issueLines(load('name: [\n'))[0]).toMatch(/^2:1 invalid YAML/);
  });
});
