import { describe, expect, it } from 'vitest';
import { allowedKeysAt } from '../../src/config/validate.js';
import { issueLines, load, yaml } from './helpers.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { getStackSchemas } from '../../src/config/schema.js';

const service = (...lines: string[]) => load(yaml('version: 1', 'services:', '  web:', ...lines.map((line) => `    ${line}`)));

describe('schema issues', () => {
  it('suggests the key a typo meant, at the typo', () => {
    const loaded = service('comand: node app.js');
    expect(issueLines(loaded)).toEqual(['4:5 unknown key "comand" (did you mean "command"?)']);
    expect(loaded.issues[0]?.path).toBe('services.web.comand');
    expect(loaded.issues[0]?.hint).toMatch(/^allowed keys in services\.web: provider, command,/);
  });

  it('names an unknown key without a guess when nothing is close', () => {
    expect(issueLines(service('command: x', 'colour: blue'))).toEqual(['5:5 unknown key "colour"']);
  });

  it('suggests top-level and nested keys', () => {
    const loaded = load(yaml('version: 1', 'servics: {}', 'services:', '  web:', '    command: x', '    stop: { timeot: 1s }'));
    expect(issueLines(loaded)).toEqual([
      '2:1 unknown key "servics" (did you mean "services"?)',
      '6:13 unknown key "timeot" (did you mean "timeout"?)',
    ]);
  });

  it('reports a missing version and a wrong one', () => {
    const missing = load(yaml('services: {}'));
    expect(issueLines(missing)).toEqual(['1:1 missing required key "version"']);
    expect(missing.issues[0]?.hint).toBe('stack.yaml starts with `version: 1`');
    expect(issueLines(load(yaml('version: 2', 'services: {}')))).toEqual(['1:1 expected version: 1, got 2']);
  });

  it('reports missing services and services that are not a map', () => {
    expect(issueLines(load(yaml('version: 1')))).toEqual(['1:1 missing required key "services"']);
    expect(issueLines(load(yaml('version: 1', 'services: [web]')))).toEqual(['2:1 expected a map of services']);
  });

  it('reports a document that is not a map', () => {
    expect(issueLines(load(yaml('- web')))).toEqual(['1:1 expected a map, got a list']);
    expect(issueLines(load(''))).toEqual(['1:1 expected a map, got null (an empty value)']);
  });

  it('allows an empty services map', () => {
    expect(load(yaml('version: 1', 'services: {}')).issues).toEqual([]);
  });

  it('explains durations', () => {
    expect(issueLines(service('command: x', 'stop: { timeout: 10 seconds }'))).toEqual([
      '5:13 expected a duration like 500ms, 10s, 2m or 1h, got "10 seconds"',
    ]);
    expect(issueLines(service('command: x', 'stop: { timeout: 10 }'))).toEqual([
      '5:13 a duration needs a unit: write 10ms or 10s, not 10',
    ]);
    expect(issueLines(service('command: x', 'restart: { backoff: { max: 25h } }'))).toEqual(['5:27 a duration must be at most 24h']);
  });

  it('checks signals, policies, states and providers against their lists', () => {
    const loaded = service('command: x', 'stop: { signal: SIGFOO }', 'restart: { policy: sometimes }', 'state: paused', 'provider: docker');
    expect(issueLines(loaded)).toEqual([
      '5:13 expected one of SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, got "SIGFOO"',
      '6:16 expected no, on-failure or always, got "sometimes"',
      '7:5 expected running or stopped, got "paused"',
      '8:5 expected process, compose, plugin, exec or swarm, got "docker"',
    ]);
  });

  it('checks ports, with the list item position', () => {
    expect(issueLines(service('command: x', 'ports: [80, 70000, "a:b:c", true]'))).toEqual([
      '5:17 expected a port (1-65535) or "host:port", got 70000',
      '5:24 expected a port (1-65535) or "host:port", got "a:b:c"',
      '5:33 expected a port (1-65535) or "host:port", got true',
    ]);
  });

  it('checks env values, command shapes and whole numbers', () => {
    const loaded = service('command: [node, {a: 1}]', 'env: { A: null, B: [1] }', 'restart: { maxRestarts: 1.5 }');
    expect(issueLines(loaded)).toEqual([
      '4:5 expected a command string or a list of arguments',
      '5:12 expected a string, number or boolean',
      '5:21 expected a string, number or boolean',
      '6:16 expected a whole number, got 1.5',
    ]);
  });

  it('refuses env names a shell would not take, at the name', () => {
    const loaded = service('command: x', 'env: { "A=B": x, "bad key": y, "1X": z, "": empty, lower: ok, _OK: ok, A1: ok }');
    expect(issueLines(loaded)).toEqual([
      '5:12 env name "A=B" is not allowed: use letters, digits and "_", not starting with a digit',
      '5:22 env name "bad key" is not allowed: use letters, digits and "_", not starting with a digit',
      '5:36 env name "1X" is not allowed: use letters, digits and "_", not starting with a digit',
      '5:45 env name "" is not allowed: use letters, digits and "_", not starting with a digit',
    ]);
    expect(loaded.issues[0]?.path).toBe('services.web.env.A=B');
    expect(issueLines(service('compose: { file: c.yml, env: { "TAG-1": x } }'))).toEqual([
      '4:36 env name "TAG-1" is not allowed: use letters, digits and "_", not starting with a digit',
    ]);
  });

  it('checks probes, log sizes and counts', () => {
    const loaded = service(
      'command: x',
      'ready: { http: "ftp://x", failureThreshold: 0 }',
      'logs: { maxSize: 10 parsecs, maxFiles: 0 }',
    );
    expect(issueLines(loaded)).toEqual([
      '5:14 expected an http:// or https:// URL',
      '5:31 expected at least 1, got 0',
      '6:13 expected a size like 10MB, 512KiB or a number of bytes, got "10 parsecs"',
      '6:34 expected at least 1, got 0',
    ]);
  });

  it('refuses log patterns the linear-time engine cannot run: backreferences and lookaround', () => {
    expect(issueLines(service('command: x', 'ready: { log: "(a)\\\\1" }'))).toEqual([
      '5:14 log uses a backreference, which the linear-time engine of log probes does not have (RE2 syntax): "(a)\\1"',
    ]);
    expect(issueLines(service('command: x', 'health: { log: "ready(?!ish)" }'))[0]).toMatch(/^5:15 log uses lookahead or lookbehind/);
    expect(issueLines(service('command: x', 'ready: { log: "^(a+)+\\\\d$" }'))).toEqual([]);
  });

  it('reports a missing compose file at its parent and an empty path', () => {
    expect(issueLines(service('compose: { wait: true }'))).toEqual(['4:5 missing required key "file"']);
    expect(issueLines(service('plugin: ""'))).toEqual(['4:5 a plugin folder path must not be empty']);
  });

  it('escapes control characters from the file in messages and paths', () => {
    const loaded = service('command: x', 'state: "\\e[2J\\rrunning"', '"\\e[31mcolour\\x9b": 1');
    expect(issueLines(loaded)).toEqual([
      '5:5 expected running or stopped, got "\\u001b[2J\\rrunning"',
      '6:5 unknown key "\\u001b[31mcolour\\u009b"',
    ]);
    expect(loaded.issues[1]?.path).toBe('services.web.\\u001b[31mcolour\\u009b');
    expect(issueLines(service('command: x', 'restart: { backoff: "\\0" }'))).toEqual(['5:16 expected a map, got "\\u0000"']);
  });

  it('takes mcp.allow (what `stack mcp` lets an agent change) as a list of edit and apply, and nothing else', () => {
    const mcp = (line: string) => load(yaml('version: 1', line, 'services: {}'));
    expect(mcp('mcp: { allow: [edit, apply, edit] }').desired?.mcpAllow).toEqual(['edit', 'apply']);
    expect(mcp('mcp: { allow: [] }').desired?.mcpAllow).toEqual([]);
    expect(load(yaml('version: 1', 'services: {}')).desired?.mcpAllow).toBeUndefined();
    expect(issueLines(mcp('mcp: { allow: [edit, delete] }'))).toEqual(['2:22 expected edit or apply, got "delete"']);
    expect(issueLines(mcp('mcp: { allow: apply }'))).toEqual(['2:8 expected a list: [edit], [apply] or [edit, apply]']);
    expect(issueLines(mcp('mcp: { alow: [edit] }'))).toEqual(['2:1 missing required key "allow"', '2:8 unknown key "alow" (did you mean "allow"?)']);
  });

  it('reports a service that is not a map', () => {
    expect(issueLines(load(yaml('version: 1', 'services:', '  web: node app.js')))).toEqual(['3:3 expected a map, got "node app.js"']);
  });

  it('reports every issue at once, in reading order', () => {
    const loaded = load(
      yaml('services:', '  b:', '    command: x', '    shel: true', '  a:', '    command: y', '    stop: { signal: TERM }', 'version: 3'),
    );
    expect(issueLines(loaded)).toEqual([
      '4:5 unknown key "shel" (did you mean "shell"?)',
      '7:13 expected one of SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, got "TERM"',
      '8:1 expected version: 1, got 3',
    ]);
  });
});

describe('allowedKeysAt', () => {
  const root = getStackSchemas(PROVIDERS).StackFileSchema;
  it('walks objects, records and arrays of the schema', () => {
    expect(allowedKeysAt([], root)).toEqual(['version', 'project', 'defaults', 'mcp', 'services']);
    expect(allowedKeysAt(['services', 'x', 'restart', 'backoff'], root)).toEqual(['initial', 'max', 'reset']);
    expect(allowedKeysAt(['defaults'], root)).toEqual(['start', 'stop', 'restart', 'logs']);
    expect(allowedKeysAt(['services', 'x', 'ports'], root)).toEqual([]);
  });
});
