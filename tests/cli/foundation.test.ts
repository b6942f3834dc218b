import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, mkdirSync } from 'node:fs';
import { stack, tempStack } from '../support/stack-cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const made: ReturnType<typeof tempStack>[] = [];
const scratch = (yaml: string) => {
  const created = tempStack(yaml);
  made.push(created);
  return created;
};
afterEach(() => {
  for (const created of made.splice(0)) created.cleanup();
});

describe('stack validate, plan, schema, init (the foundation)', () => {
  it('validates stack.yaml.example', () => {
    const result = stack(['validate', '-f', join(ROOT, 'stack.yaml.example')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/is valid: \d+ services/);
  });

  it('a misspelled key exits 5 naming the key, its line and a suggestion', () => {
    const { file } = scratch('version: 1\nservices:\n  web:\n    comand: node server.js\n');
    const result = stack(['validate', '-f', file]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('stack.yaml:4:5');
    expect(result.stderr).toContain('comand');
    expect(result.stderr).toContain('command');
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('a compose-style file exits 5 with a hint in stack\'s terms for each habit, nothing started', () => {
    const { file } = scratch(['version: 1', 'services:', '  web:', '    command: echo boom: x'].join('\n') + '\n');
    const yamlError = stack(['validate', '-f', file]);
    expect(yamlError.code).toBe(5);
    expect(yamlError.stderr).toContain('stack.yaml:4:14: invalid YAML: nested mappings are not allowed in compact mappings (a value holding ": " must be quoted: command: "echo boom: x")');

    const compose = scratch(
      [
        'version: 1',
        'services:',
        '  web:',
        '    command: node server.js',
        '    environment: { NODE_ENV: production }',
        '    working_dir: ./web',
        '    depends_on: { db: { condition: service_healthy } }',
        '    restart: always',
        '    healthcheck: { test: [CMD, curl, -f, http://localhost/] }',
        '    env_file: .env.web',
      ].join('\n') + '\n',
    );
    const result = stack(['validate', '-f', compose.file]);
    expect(result.code).toBe(5);
    const lines = result.stderr.split('\n').map((line) => line.trim());
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/stack\.yaml:5:5: services\.web\.environment: unknown key "environment" \(did you mean "env"\?\) \(stack's environment is env, a map/),
      expect.stringMatching(/stack\.yaml:6:5: services\.web\.working_dir: unknown key "working_dir" \(did you mean "cwd"\?\) \(stack's working folder is cwd: /),
      expect.stringMatching(/stack\.yaml:7:5: services\.web\.depends_on: .*\(write dependsOn: \{ db: ready \}: .*service_healthy → ready\)$/),
      expect.stringMatching(/stack\.yaml:8:5: services\.web\.restart: expected a map, got "always" \(write restart: \{ policy: always \}/),
      expect.stringMatching(/stack\.yaml:9:5: services\.web\.healthcheck: unknown key "healthcheck" \(did you mean "health"\?\) \(stack's liveness probe is health: \{ exec: /),
      expect.stringMatching(/stack\.yaml:10:5: services\.web\.env_file: unknown key "env_file" \(did you mean "envFile"\?\) \(envFile takes one path or a list/),
    ]));
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
    const apply = stack(['apply', '--yes', '-f', compose.file]);
    expect(apply.code).toBe(5);
    expect(existsSync(join(compose.dir, '.stack', 'state.json'))).toBe(false);
  });

  it('a dependency cycle exits 5 naming the cycle', () => {
    const { file } = scratch('version: 1\nservices:\n  a:\n    command: sleep 1\n    dependsOn: [b]\n  b:\n    command: sleep 1\n    dependsOn: [a]\n');
    const result = stack(['plan', '-f', file]);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/a → b → a|b → a → b/);
  });

  it('errors are JSON under --json', () => {
    const { file } = scratch('version: 2\nservices: {}\n');
    const result = stack(['validate', '--json', '-f', file]);
    expect(result.code).toBe(5);
    const parsed = JSON.parse(result.stderr) as { error: { code: number; line: number; column: number } };
    expect(parsed.error.code).toBe(5);
    expect(parsed.error.line).toBe(1);
  });

  it('a bare $NAME that is not set is warned of, as compose does, and the command goes on', () => {
    const { file } = scratch('version: 1\nservices:\n  counter:\n    command: [sh, -c, "i=0; while :; do i=$((i+1)); echo $i; sleep 1; done"]\n');
    const plan = stack(['plan', '-f', file]);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toMatch(/^warning: \S*stack\.yaml:4:23: services\.counter\.command\[2\]: variable i is not set, so it became an empty string \(set it; or write \$\$i to leave \$i to the program, or \$\{i:-\} if empty is meant\)\n$/);
    const json = JSON.parse(stack(['validate', '--json', '-f', file]).stdout) as { valid: boolean; warnings: { message: string; line: number }[] };
    expect(json).toMatchObject({ valid: true, warnings: [{ message: 'variable i is not set, so it became an empty string', line: 4 }] });
    const fixed = scratch('version: 1\nservices:\n  counter:\n    command: [sh, -c, "i=0; while :; do i=$$((i+1)); echo $$i; sleep 1; done"]\n');
    expect(stack(['plan', '-f', fixed.file]).stderr).toBe('');
    expect((JSON.parse(stack(['validate', '--json', '-f', fixed.file]).stdout) as { warnings: unknown[] }).warnings).toEqual([]);
  });

  it('plan --json lists db before web when web depends on db', () => {
    const { file } = scratch('version: 1\nproject: demo\nservices:\n  web:\n    command: sleep 1\n    dependsOn: [db]\n  db:\n    command: sleep 2\n');
    const result = stack(['plan', '--json', '-f', file]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as { formatVersion: number; project: string; actions: { service: string; op: string }[] };
    expect(plan.formatVersion).toBe(1);
    expect(plan.project).toBe('demo');
    const starts = plan.actions.filter((action) => action.op === 'start').map((action) => action.service);
    expect(starts).toEqual(['db', 'web']);
  });

  it('plan --detailed-exitcode exits 2 when work is pending and 0 when converged', () => {
    const pending = scratch('version: 1\nservices:\n  web:\n    command: sleep 1\n');
    expect(stack(['plan', '--detailed-exitcode', '-f', pending.file]).code).toBe(2);
    const converged = scratch('version: 1\nservices:\n  web:\n    command: sleep 1\n    enabled: false\n');
    const result = stack(['plan', '--detailed-exitcode', '-f', converged.file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No changes');
  });

  it('no stack.yaml exits 3 with a hint to run stack init', () => {
    const { dir } = scratch('version: 1\nservices: {}\n');
    const result = stack(['plan', '-f', join(dir, 'missing.yaml')]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('stack init');
  });

  it('finds stack.yaml in a parent folder, like git', () => {
    const { dir } = scratch('version: 1\nservices:\n  web:\n    command: sleep 1\n');
    const result = stack(['validate'], { cwd: join(dir, '.'), env: { STACK_FILE: '' } });
    expect(result.code).toBe(0);
  });

  it('schema prints a JSON Schema that names the service keys', () => {
    const result = stack(['schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(JSON.stringify(schema)).toContain('dependsOn');
  });

  it('init writes a stack.yaml that validates, and refuses to overwrite it', () => {
    const { dir } = scratch('version: 1\nservices: {}\n');
    const sub = join(dir, 'fresh');
    mkdirSync(sub);
    expect(stack(['init'], { cwd: sub }).code).toBe(0);
    expect(stack(['validate'], { cwd: sub }).code).toBe(0);
    expect(stack(['init'], { cwd: sub }).code).toBe(1);
  });

  it('--version answers', () => {
    const result = stack(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('help for an unknown command says so, with a did-you-mean, and exits 1', () => {
    const result = stack(['help', 'stat']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown command 'stat'");
    expect(result.stderr).toContain('Did you mean status?');
    expect(result.stderr).not.toContain('Commands:');
    expect(stack(['help', 'logs']).code).toBe(0);
  });

  it('an unknown word is never taken for a command that acts unless it is a slip of its letters', () => {
    for (const word of ['shop', 'enabled', 'remote']) {
      const result = stack(['-f', 'x.yaml', word]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`error: unknown command '${word}'\n(run \`stack --help\` for usage)\n`);
    }
    expect(stack(['stpo']).stderr).toContain('(Did you mean stop?)');
  });

  it("a command's help lists the global options too", () => {
    const result = stack(['logs', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Global Options:[\s\S]*-f, --file <path>[\s\S]*--verbose/);
  });
});
