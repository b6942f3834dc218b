// `stack validate` on exec blocks: every mistake at its file:line:col, all at once.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StackError } from '../../../src/model/errors.js';
import { readStack } from '../../../src/load/read-stack.js';
import { PROVIDERS } from '../../../src/providers/registry.js';
import { issueLines, load, yaml } from '../../config/helpers.js';
import { makeTempDir, removeDir } from '../helpers.js';

const stack = (...lines: string[]) => load(yaml('version: 1', 'services:', ...lines));

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await removeDir(root);
});

describe('exec blocks in stack.yaml', () => {
  it('names a missing command as a missing key, a wrong type and an unknown key at their positions', () => {
    const loaded = stack(
      '  a:',
      '    exec:',
      '      start: [run]',
      '      stop: 5',
      '      shell: "yes"',
      '      stats: [check]',
      '      env: { A: [1] }',
    );
    expect(issueLines(loaded)).toEqual([
      '4:5 missing required key "status"',
      '6:7 expected a command string or a list of arguments',
      '7:7 expected a boolean, got "yes"',
      '8:7 unknown key "stats" (did you mean "status"?)',
      '9:14 expected a string, number or boolean',
    ]);
    expect(loaded.issues.map((issue) => issue.path)).toEqual(['services.a.exec.status', 'services.a.exec.stop', 'services.a.exec.shell', 'services.a.exec.stats', 'services.a.exec.env.A']);
  });

  it('refuses an exec that is not a map, an empty command, and an exec beside command', () => {
    expect(issueLines(stack('  a:', '    exec: "redis-server"', '  b:', '    command: [x]', '    exec: { start: [x], stop: [x], status: [] }'))).toEqual([
      '4:5 expected a map, got "redis-server"',
      '7:5 service "b" sets both command and exec; a service has exactly one of command, compose, plugin, exec or swarm',
      '7:36 command is an empty list',
    ]);
  });

  it('finds values no process can receive (a NUL) in commands, cwd and env, never quoting them', () => {
    const loaded = stack('  a:', '    exec:', '      start: [run, "a\\0b"]', '      stop: "x\\0y"', '      status: [ok]', '      cwd: "d\\0"', '      env: { TOKEN: "s\\0cret" }');
    expect(issueLines(loaded)).toEqual([
      '5:20 argument 2 of exec.start holds a NUL character ("\\0"), which no process can receive',
      '6:7 exec.stop holds a NUL character ("\\0"), which no process can receive',
      '8:7 exec.cwd holds a NUL character ("\\0"), which no process can receive',
      '9:14 the value of TOKEN holds a NUL character ("\\0"), which no process can receive',
    ]);
  });

  it('refuses a service name that could leave .stack/', () => {
    expect(issueLines(stack('  ../evil:', '    exec: { start: [x], stop: [x], status: [x] }'))).toEqual([
      '3:3 service name "../evil" is not allowed: use lowercase letters, digits, "-" and "_", starting with a letter or digit (at most 63 characters)',
    ]);
  });

  it('reports an exec.cwd that does not exist with the file\'s other issues, unless the service is disabled', async () => {
    const root = await makeTempDir();
    roots.push(root);
    await mkdir(join(root, 'there'));
    const file = join(root, 'stack.yaml');
    await writeFile(
      file,
      yaml(
        'version: 1',
        'services:',
        '  a:',
        '    exec: { start: [x], stop: [x], status: [x], cwd: ./nope }',
        '  b:',
        '    exec: { start: [x], stop: [x], status: [x], cwd: ./there }',
        '  c:',
        '    enabled: false',
        '    exec: { start: [x], stop: [x], status: [x], cwd: ./gone }',
      ),
    );
    const error = await readStack(file, { providers: PROVIDERS, cwd: root }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StackError);
    const issues = (error as StackError).issues ?? [];
    expect(issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.path}: ${issue.message}`)).toEqual([
      '4:49 services.a.exec.cwd: working folder ./nope does not exist',
    ]);
    expect(issues[0]?.hint).toBe(`looked for ${join(root, 'nope')}; create it, or fix exec.cwd`);
  });
});
