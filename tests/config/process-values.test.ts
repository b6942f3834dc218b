import { describe, expect, it } from 'vitest';
import { FILE, issueLines, load, yaml } from './helpers.js';

const stack = (...lines: string[]) => load(yaml('version: 1', 'services:', ...lines));
const RULE = 'holds a NUL character ("\\0"), which no process can receive';

describe('values no process can receive', () => {
  it('reports a NUL in an argument, a command string, an env value, cwd and an exec probe, each where it is', () => {
    const loaded = stack(
      '  a:',
      '    command: [echo, "x\\0y"]',
      '    cwd: "./d\\0"',
      '    env: { K: "v\\0w", OK: fine }',
      '    ready: { exec: [test, "\\0"] }',
      '  b:',
      '    command: "echo \\0"',
      '    shell: true',
    );
    expect(issueLines(loaded)).toEqual([
      `4:21 argument 2 of command ${RULE}`,
      `5:5 cwd ${RULE}`,
      `6:12 the value of K ${RULE}`,
      `7:27 argument 2 of ready.exec ${RULE}`,
      `9:5 command ${RULE}`,
    ]);
    expect(loaded.issues.map((issue) => issue.path)).toEqual(['services.a.command[1]', 'services.a.cwd', 'services.a.env.K', 'services.a.ready.exec[1]', 'services.b.command']);
  });

  it('never quotes the value, which may be a secret', () => {
    const loaded = stack('  a:', '    command: x', '    env: { API_TOKEN: "hunter2\\0" }');
    expect(loaded.issues.map((issue) => issue.message).join('\n')).not.toContain('hunter2');
  });

  it('reports a NUL in compose env values and in an env file path, without reading that file', () => {
    const loaded = stack('  db:', '    compose: { file: ./c.yml, env: { TAG: "1\\0" } }', '  a:', '    command: x', '    envFile: ["ok.env", "b\\0.env"]');
    expect(loaded.envFilesWanted).toEqual(['/home/ada/devstack/ok.env']);
    expect(issueLines(loaded).filter((line) => line.includes('NUL'))).toEqual([`4:38 the value of TAG ${RULE}`, `7:25 the env file path ${RULE}`]);
  });

  it('reports a NUL in a value an env file sets, naming only the key', () => {
    const text = yaml('version: 1', 'services:', '  a:', '    command: x', '    envFile: ./a.env');
    const loaded = load(text, new Map([['/home/ada/devstack/a.env', 'GOOD=1\nBAD="se\\0cret"\n'.replace('\\0', '\0')]]));
    expect(issueLines(loaded)).toEqual(['5:5 env file ./a.env sets BAD to a value holding a NUL character, which no process can receive']);
    expect(FILE).toBe('/home/ada/devstack/stack.yaml');
  });
});
