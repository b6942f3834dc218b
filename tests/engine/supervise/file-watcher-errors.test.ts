// The plugin-folder watcher survives errors chokidar reports (ENOSPC, EACCES, ELOOP): one warning
// per reason, still watching. ENOSPC cannot be caused safely per test (fs.inotify.max_user_watches
// is system-wide), so the error is injected through the watcher's own 'error' event.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { FileWatcher } from '../../../src/engine/supervise/file-watcher.js';
import { waitFor } from '../../support/stack-cli.js';

const made: { dir: string; watcher: FileWatcher }[] = [];
afterEach(async () => {
  for (const { dir, watcher } of made.splice(0)) {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function errno(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, watch '${path}'`), { code, path });
}

describe('FileWatcher errors of a plugin folder', () => {
  it('ENOSPC, EACCES and ELOOP are one warning each, never thrown, and changes are still seen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-watch-errors-'));
    const changes: string[][] = [];
    const warnings: string[] = [];
    const watcher = new FileWatcher((paths) => changes.push(paths), 10, (message) => warnings.push(message));
    made.push({ dir, watcher });
    mkdirSync(join(dir, 'plugin'));
    await watcher.update({ files: new Set([join(dir, 'stack.yaml')]), trees: new Set([join(dir, 'plugin')]) });
    const trees = (watcher as unknown as { trees: FSWatcher }).trees;

    const sub = join(dir, 'plugin', 'deep');
    expect(() => trees.emit('error', errno('ENOSPC', sub))).not.toThrow();
    expect(() => trees.emit('error', errno('ENOSPC', sub))).not.toThrow();
    expect(() => trees.emit('error', errno('EACCES', sub))).not.toThrow();
    expect(() => trees.emit('error', errno('ELOOP', sub))).not.toThrow();
    expect(warnings).toEqual([
      `cannot watch ${sub}: the inotify watch limit is reached (sysctl fs.inotify.max_user_watches); its changes are seen at the next interval pass`,
      `cannot watch ${sub}: permission denied; its changes are seen at the next interval pass`,
      `cannot watch ${sub}: a symlink loop; its changes are seen at the next interval pass`,
    ]);

    writeFileSync(join(dir, 'plugin', 'run.sh'), 'echo\n');
    await waitFor(() => changes.flat().includes(join(dir, 'plugin', 'run.sh')), 5000, 'the change to be seen');
  });
});
