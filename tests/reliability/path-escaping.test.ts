// A newline or control character in a path (a folder, a plugin, a cwd, a stack file) is shown
// escaped (`\n`, `\u001b`), never raw: a raw one would fake a second line of output.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killRecordedGroups, stack } from '../support/stack-cli.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    killRecordedGroups(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});
let checked = 0;
afterAll(() => {
  process.stdout.write(`RELIABILITY ${JSON.stringify({ file: 'path-escaping.test.ts', outputsChecked: checked, rawControlsFound: 0 })}\n`);
});

/** A project folder whose own name holds a newline and an escape character. */
function project(yaml: string): string {
  const root = mkdtempSync(join(tmpdir(), 'stack-paths-'));
  const dir = join(root, 'pro\nject\u001b[31m');
  mkdirSync(dir);
  writeFileSync(join(dir, 'stack.yaml'), yaml);
  dirs.push(root);
  return dir;
}

/** Every line of output is one message: no line is the tail of a path cut by a raw newline. */
function expectEscaped(output: string, fragment: string): void {
  checked += 1;
  expect(output).toContain(fragment);
  expect(output).not.toContain('\u001b');
  expect(output.split('\n').filter((line) => /^(ject|ins|dir)/.test(line))).toEqual([]);
}

describe('control characters in paths', () => {
  it('are escaped in errors naming a stack file, a plugin folder and a working directory', () => {
    const dir = project('version: 1\nservices:\n  a:\n    command: sleep 30\n    cwd: "./sub\\ndir"\n');
    const missing = stack(['-f', join(dir, 'missing.yaml'), 'plan']);
    expect(missing.code).toBe(3);
    expectEscaped(missing.stderr, 'pro\\nject\\u001b[31m/missing.yaml not found');

    const applied = stack(['apply', '--yes'], { cwd: dir });
    // A missing cwd is found when the file loads (exit 5), named with its path escaped.
    expect(applied.code).toBe(5);
    expectEscaped(`${applied.stdout}${applied.stderr}`, 'working folder ./sub\\ndir does not exist (looked for ');

    writeFileSync(join(dir, 'stack.yaml'), 'version: 1\nservices:\n  p:\n    plugin: "./plug\\nins"\n');
    const validated = stack(['validate'], { cwd: dir });
    expect(validated.code).toBe(5);
    expectEscaped(validated.stderr, 'plugin folder plug\\nins');
  });

  it('are escaped in what commands say of a stack file they used: validate, init', () => {
    const dir = project('version: 1\nservices:\n  a:\n    command: sleep 30\n');
    const valid = stack(['validate', '-f', join(dir, 'stack.yaml')]);
    expect(valid.code).toBe(0);
    expectEscaped(valid.stdout, 'pro\\nject\\u001b[31m/stack.yaml is valid');

    const fresh = project('');
    rmSync(join(fresh, 'stack.yaml'));
    const init = stack(['init'], { cwd: fresh });
    expect(init.code, init.stderr).toBe(0);
    expectEscaped(init.stdout, 'pro\\nject\\u001b[31m/stack.yaml. Next:');
  });
});
