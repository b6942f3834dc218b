import { mkdir, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestPluginFiles } from '../../../src/providers/plugin/digest.js';
import { makeTempDir } from '../helpers.js';

let dir: string;
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
});
