import { mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestPluginFiles as digestWith } from '../../../src/providers/plugin/digest.js';
import { makeTempDir } from '../helpers.js';

let dir: string;
const digestPluginFiles = async (folder: string, ignore: string[], gitignore = true) => (await digestWith(folder, { ignore, gitignore })).digest;
const filesOf = async (folder: string, gitignore = true) => Object.keys((await digestWith(folder, { ignore: [], gitignore })).files ?? {});
beforeEach(async () => {
  dir = await makeTempDir();
  await writeFile(join(dir, 'plugin.yaml'), 'name: p\n');
  await writeFile(join(dir, 'start.sh'), 'echo hi\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('digestPluginFiles', () => {
  it('changes when a file changes, appears, or becomes executable', async () => {
    const before = await digestPluginFiles(dir, []);
    expect(await digestPluginFiles(dir, [])).toBe(before);
    await writeFile(join(dir, 'start.sh'), 'echo bye\n');
    const edited = await digestPluginFiles(dir, []);
    expect(edited).not.toBe(before);
    await chmod(join(dir, 'start.sh'), 0o755);
    const executable = await digestPluginFiles(dir, []);
    expect(executable).not.toBe(edited);
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'x'), '1');
    expect(await digestPluginFiles(dir, [])).not.toBe(executable);
  });

  it('leaves out .git and what the ignore globs match, folders included', async () => {
    const before = await digestPluginFiles(dir, ['*.pid', 'data/**', 'logs']);
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'HEAD'), 'ref: x\n');
    await writeFile(join(dir, 'server.pid'), '42');
    await mkdir(join(dir, 'data', 'deep'), { recursive: true });
    await writeFile(join(dir, 'data', 'deep', 'db'), 'rows');
    await mkdir(join(dir, 'logs'));
    await writeFile(join(dir, 'logs', 'a.log'), 'line');
    expect(await digestPluginFiles(dir, ['*.pid', 'data/**', 'logs'])).toBe(before);
    expect(await digestPluginFiles(dir, [])).not.toBe(before);
  });

  it('counts a symbolic link by its target without following it', async () => {
    const before = await digestPluginFiles(dir, []);
    await symlink('/', join(dir, 'root'));
    const linked = await digestPluginFiles(dir, []);
    expect(linked).not.toBe(before);
    await rm(join(dir, 'root'));
    await symlink('/tmp', join(dir, 'root'));
    expect(await digestPluginFiles(dir, [])).not.toBe(linked);
  });

  it("leaves out what the folder's .gitignore files ignore (unless gitignore: false); a deeper one can take it back", async () => {
    await writeFile(join(dir, '.gitignore'), 'run/\n.env\n*.log\n!keep.log\n');
    await mkdir(join(dir, 'run'));
    await writeFile(join(dir, 'run', 'pid'), '42');
    await writeFile(join(dir, '.env'), 'TOKEN=x\n');
    await writeFile(join(dir, 'a.log'), 'line');
    await writeFile(join(dir, 'keep.log'), 'kept');
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', '.gitignore'), '*\n!.gitignore\n!seed.sql\n');
    await writeFile(join(dir, 'data', 'x'), 'rows');
    await writeFile(join(dir, 'data', 'seed.sql'), 'insert');
    expect(await filesOf(dir)).toEqual(['.gitignore', 'data/.gitignore', 'data/seed.sql', 'keep.log', 'plugin.yaml', 'start.sh']);
    const before = await digestPluginFiles(dir, []);
    await writeFile(join(dir, 'run', 'pid'), '43');
    await writeFile(join(dir, 'data', 'x'), 'more rows');
    expect(await digestPluginFiles(dir, [])).toBe(before);
    expect(await filesOf(dir, false)).toContain('run/pid');
  });

  it('gives each file its own digest (content and executable bit)', async () => {
    const first = (await digestWith(dir, { ignore: [], gitignore: true })).files ?? {};
    expect(Object.keys(first)).toEqual(['plugin.yaml', 'start.sh']);
    await chmod(join(dir, 'start.sh'), 0o755);
    const second = (await digestWith(dir, { ignore: [], gitignore: true })).files ?? {};
    expect(second['plugin.yaml']).toBe(first['plugin.yaml']);
    expect(second['start.sh']).not.toBe(first['start.sh']);
  });
});
