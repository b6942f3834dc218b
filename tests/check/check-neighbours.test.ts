import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkNeighbours, neighbourResults } from '../../src/check/check-neighbours.js';
import { claimsOf, noteStackSeen, readStacksSeen } from '../../src/state/stacks-seen.js';
import { service, stack } from '../reconcile/factory.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folder(): string {
  const made = mkdtempSync(join(tmpdir(), 'stack-seen-'));
  folders.push(made);
  return made;
}

/** A stack whose stack file exists, in a folder of its own. */
function copyOf(project: string, ports: { port: number; auto?: true }[], instance?: string) {
  const root = folder();
  const file = join(root, 'stack.yaml');
  writeFileSync(file, 'version: 1\nservices: {}\n');
  return { ...stack([{ ...service('web'), ports }], project), file, root, ...(instance ? { instance } : {}) };
}

describe('stacks seen on this machine', () => {
  it('claims the project, the instance, and the fixed ports, never the auto ones', () => {
    const desired = copyOf('app', [{ port: 8080 }, { port: 41234, auto: true }], 'app-3f2a9c');
    expect(claimsOf(desired)).toEqual({ file: desired.file, names: ['app', 'app-3f2a9c'], ports: [8080] });
  });

  it('warns when another copy claims the same name or fixed port, and passes when none does', async () => {
    const env = { XDG_STATE_HOME: folder() };
    const one = copyOf('app', [{ port: 8080 }, { port: 41234, auto: true }], 'app-aaaaaa');
    const two = copyOf('app', [{ port: 8080 }, { port: 41999, auto: true }], 'app-bbbbbb');
    const other = copyOf('billing', [{ port: 9000 }]);
    for (const desired of [one, two, other]) await noteStackSeen(desired, env);
    expect((await readStacksSeen(env, one.file)).map((seen) => seen.file).sort()).toEqual([two.file, other.file].sort());
    const results = await checkNeighbours(one, env);
    expect(results.map((result) => [result.warning, result.detail])).toEqual([
      [true, `the stack at ${two.file} is named app too`],
      [true, `the stack at ${two.file} declares port 8080 too`],
    ]);
    expect((await checkNeighbours(other, env)).map((result) => [result.ok, result.warning])).toEqual([[true, undefined]]);
  });

  it('forgets a stack whose file is gone', async () => {
    const env = { XDG_STATE_HOME: folder() };
    const gone = copyOf('app', [{ port: 8080 }]);
    await noteStackSeen(gone, env);
    rmSync(gone.file);
    expect(await readStacksSeen(env, '/elsewhere/stack.yaml')).toEqual([]);
  });

  it('reads one warning per name and one per stack for its ports', () => {
    const ours = { file: '/a/stack.yaml', names: ['app'], ports: [80, 443] };
    const results = neighbourResults(ours, [{ file: '/b/stack.yaml', names: ['app'], ports: [443, 80] }]);
    expect(results.map((result) => result.detail)).toEqual(['the stack at /b/stack.yaml is named app too', 'the stack at /b/stack.yaml declares ports 80, 443 too']);
  });
});
