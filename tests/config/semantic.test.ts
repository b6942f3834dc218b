import { describe, expect, it } from 'vitest';
import { portsClash } from '../../src/config/semantic.js';
import { issueLines, load, yaml } from './helpers.js';

const stack = (...lines: string[]) => load(yaml('version: 1', 'services:', ...lines));

describe('names', () => {
  it('explains why a service name is refused', () => {
    const loaded = stack('  Web_Server: { command: x }', '  ../etc: { command: y }');
    expect(issueLines(loaded)).toEqual([
      '3:3 service name "Web_Server" is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)',
      '4:3 service name "../etc" is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)',
    ]);
    expect(loaded.issues[0]?.hint).toBe('names become file names under .stack/ and docker compose project names');
  });

  it('escapes control characters in the names it quotes', () => {
    const loaded = stack('  "w\\eb": { command: x, ports: [80], dependsOn: ["d\\tb"] }', '  api: { command: y, ports: [80] }');
    expect(issueLines(loaded)).toEqual([
      '3:3 service name "w\\u001bb" is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)',
      '3:50 service "w\\u001bb" depends on "d\\tb", which is not a service in this file',
      '4:30 port 80 is declared by both "w\\u001bb" (80) and "api" (80)',
    ]);
  });

  it('refuses a 64-character name and a bad project name', () => {
    expect(issueLines(stack(`  ${'a'.repeat(64)}: { command: x }`))).toHaveLength(1);
    expect(issueLines(stack(`  ${'a'.repeat(63)}: { command: x }`))).toEqual([]);
    expect(issueLines(load(yaml('version: 1', 'project: My Stack', 'services: {}')))).toEqual([
      '2:1 project name "My Stack" is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)',
    ]);
  });
});

describe('dependencies', () => {
  it('reports an unknown target with a suggestion, at the list item', () => {
    expect(issueLines(stack('  nats: { command: x }', '  bot:', '    command: y', '    dependsOn: [nast, redis]'))).toEqual([
      '6:17 service "bot" depends on "nast", which is not a service in this file (did you mean "nats"?)',
      '6:23 service "bot" depends on "redis", which is not a service in this file',
    ]);
  });

  it('reports a self-dependency', () => {
    expect(issueLines(stack('  a: { command: x, dependsOn: [a] }'))).toEqual(['3:32 service "a" depends on itself']);
  });

  it('names the cycle, at the first edge', () => {
    const loaded = stack('  a: { command: x, dependsOn: [b] }', '  b: { command: y, dependsOn: [a] }');
    expect(issueLines(loaded)).toEqual(['3:32 dependency cycle: a → b → a']);
  });

  it('names a longer cycle that does not start at the first service', () => {
    const loaded = stack(
      '  web: { command: x, dependsOn: [api] }',
      '  api: { command: x, dependsOn: [db] }',
      '  db: { command: x, dependsOn: [cache] }',
      '  cache: { command: x, dependsOn: [api] }',
    );
    expect(issueLines(loaded)).toEqual(['4:34 dependency cycle: api → db → cache → api']);
  });
});

describe('ports', () => {
  it('names both services and the port', () => {
    const loaded = stack('  web: { command: x, ports: [8080] }', '  api: { command: y, ports: [9000, "8080"] }');
    expect(issueLines(loaded)).toEqual(['4:36 port 8080 is declared by both "web" (8080) and "api" (8080)']);
  });

  it('clashes on the same host or any-address hosts, not on different hosts', () => {
    expect(portsClash({ port: 80 }, { host: '127.0.0.1', port: 80 })).toBe(true);
    expect(portsClash({ host: '0.0.0.0', port: 80 }, { host: '127.0.0.1', port: 80 })).toBe(true);
    expect(portsClash({ host: '127.0.0.1', port: 80 }, { host: '127.0.0.1', port: 80 })).toBe(true);
    expect(portsClash({ host: '127.0.0.1', port: 80 }, { host: '127.0.0.2', port: 80 })).toBe(false);
    expect(portsClash({ port: 80 }, { port: 81 })).toBe(false);
  });

  it('ignores disabled services', () => {
    expect(issueLines(stack('  web: { command: x, ports: [80] }', '  old: { command: y, ports: [80, 80], enabled: false }'))).toEqual([]);
  });

  it('reports a service repeating its own port, at the repeat', () => {
    const loaded = stack('  web: { command: x, ports: [9090, 9090, "127.0.0.1:81", 81] }');
    expect(issueLines(loaded)).toEqual([
      '3:36 port 9090 is declared twice by "web" (9090 and 9090)',
      '3:58 port 81 is declared twice by "web" (127.0.0.1:81 and 81)',
    ]);
    expect(loaded.issues[0]?.hint).toBe('a service cannot listen on the same port twice');
  });
});

describe('providers', () => {
  it('needs one of command, compose, plugin or exec', () => {
    expect(issueLines(stack('  web: { cwd: ./web }'))).toEqual(['3:3 service "web" needs one of command, compose, plugin, exec or swarm']);
  });

  it('does not repeat a misspelled provider key', () => {
    expect(issueLines(stack('  web: { comand: x }'))).toEqual(['3:10 unknown key "comand" (did you mean "command"?)']);
  });

  it('refuses two providers at once', () => {
    expect(issueLines(stack('  web:', '    command: x', '    plugin: ./p'))).toEqual([
      '5:5 service "web" sets both command and plugin; a service has exactly one of command, compose, plugin, exec or swarm',
    ]);
  });

  it('refuses keys that do not fit the declared provider', () => {
    const loaded = stack('  db:', '    provider: compose', '    command: x', '    cwd: ./db', '    env: { A: 1 }');
    expect(issueLines(loaded)).toEqual([
      '4:5 a compose service needs the key "compose"',
      '5:5 "command" only applies to process services, and this one is a compose service',
      '6:5 "cwd" only applies to process services, and this one is a compose service',
      '7:5 "env" only applies to process and plugin services, and this one is a compose service',
    ]);
  });

  it('refuses compose keys on a plugin service', () => {
    expect(issueLines(stack('  p:', '    plugin: ./p', '    compose: { file: x.yml }', '    provider: plugin'))).toEqual([
      '5:5 "compose" only applies to compose services, and this one is a plugin service',
    ]);
  });
});

describe('commands and probes', () => {
  it('reports shell syntax in a command that runs without a shell', () => {
    expect(issueLines(stack('  web: { command: "node a.js > out.log" }'))).toEqual([
      '3:10 command uses the shell operator ">"; write it as a list of arguments or set shell: true',
    ]);
    expect(issueLines(stack('  web: { command: "node a.js > out.log", shell: true }'))).toEqual([]);
  });

  it('reports an unterminated quote at the command, in a probe too', () => {
    const loaded = stack('  web:', "    command: ./argv.sh 'unterminated x y", '    ready: { exec: \'check "ok\' }');
    expect(issueLines(loaded)).toEqual([
      "4:5 command has an unterminated quote: add the closing '",
      '5:14 exec has an unterminated quote: add the closing "',
    ]);
  });

  it('refuses a list command with shell: true', () => {
    expect(issueLines(stack('  web: { command: [a, b], shell: true }'))).toEqual([
      '3:10 shell: true needs command to be a single string, not a list',
    ]);
  });

  it('needs exactly one check in a probe', () => {
    const loaded = stack('  web:', '    command: x', '    ready: { timeout: 5s }', '    health: { tcp: 80, http: "http://x/" }');
    expect(issueLines(loaded)).toEqual(['5:5 ready needs one of tcp, http, exec or log', '6:24 health checks one thing: keep only one of tcp and http']);
  });

  it('refuses an http probe with credentials in its URL, without printing them', () => {
    const loaded = stack('  web:', '    command: x', '    ready: { http: "http://u:pw@127.0.0.1:9/" }', '    health: { http: "https://token@x/" }');
    expect(issueLines(loaded)).toEqual([
      '5:14 credentials in the ready URL (user:password@) are not supported',
      '6:15 credentials in the health URL (user:password@) are not supported',
    ]);
  });

  it('does not repeat a misspelled probe key', () => {
    expect(issueLines(stack('  web:', '    command: x', '    ready: { tpc: 4222 }'))).toEqual(['5:14 unknown key "tpc" (did you mean "tcp"?)']);
  });

  it('checks exec probes and log patterns', () => {
    const loaded = stack('  web:', '    command: x', '    ready: { exec: "curl x | grep ok" }', '    health: { log: "([a-z" }');
    expect(issueLines(loaded)).toEqual([
      '5:14 exec uses the shell operator "|"; write it as a list of arguments, e.g. [sh, -c, "…"] for shell syntax',
      '6:15 log is not a valid regular expression: "([a-z"',
    ]);
  });
});

describe('exec services', () => {
  it('check each command like a process command, at its own key', () => {
    expect(issueLines(stack('  w:', '    exec: { start: "run *.sh", stop: [kill], status: "a | b" }'))).toEqual([
      '4:13 command uses the glob "*.sh", but no shell runs to expand it; write it as a list of arguments or set shell: true',
      '4:46 command uses the shell operator "|"; write it as a list of arguments or set shell: true',
    ]);
  });
});
