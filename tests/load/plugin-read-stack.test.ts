import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStack } from '../../src/load/read-stack.js';
import { StackError } from '../../src/model/errors.js';
import { PROVIDERS } from '../../src/providers/registry.js';

let root: string;
beforeEach(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'stack-plugin-read-')));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<StackError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(StackError);
  return error as StackError;
}

const issueLines = (error: StackError) => error.issues.map((issue) => `${issue.position?.file}:${issue.position?.line}:${issue.position?.column} ${issue.message}`);

describe('readStack with plugin services', () => {
  it('validates every plugin.yaml at load time: exit 5 with positions', async () => {
    await mkdir(join(root, 'plugins', 'mem'), { recursive: true });
    await writeFile(join(root, 'plugins', 'mem', 'plugin.yaml'), 'name: mem\nlifecycle:\n  start: ./run.sh\n  stpo: ./stop.sh\n');
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  mem:\n    plugin: ./plugins/mem\n');
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(5);
    expect(issueLines(error)).toEqual([
      'plugins/mem/plugin.yaml:2:1 missing required key "stop"',
      'plugins/mem/plugin.yaml:4:3 unknown key "stpo" (did you mean "stop"?)',
    ]);
  });

  it('names the service when an enabled plugin has no plugin.yaml', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  mem:\n    plugin: ./plugins/mem\n');
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(5);
    expect(issueLines(error)).toEqual(['stack.yaml:3:3 service "mem": no plugin.yaml in the plugin folder plugins/mem']);
  });

  it('lets a disabled plugin whose folder is gone load', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  mem:\n    plugin: ./plugins/mem\n    enabled: false\n');
    const desired = await readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root });
    expect(desired.services[0]?.plugin?.dir).toBe(join(root, 'plugins', 'mem'));
  });

  it('accepts the pinned form and service env for a plugin', async () => {
    await mkdir(join(root, 'plugins', 'mem'), { recursive: true });
    await writeFile(join(root, 'plugins', 'mem', 'plugin.yaml'), 'name: mem\nlifecycle: { start: a, stop: b }\n');
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  mem:\n    plugin: { path: ./plugins/mem, source: https://example.com/mem.git, ref: abc123 }\n    env: { PORT: 1 }\n');
    const desired = await readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root });
    expect(desired.services[0]?.plugin).toEqual({ dir: join(root, 'plugins', 'mem'), source: 'https://example.com/mem.git', ref: 'abc123', env: { PORT: '1' }, envFiles: [] });
  });
});
