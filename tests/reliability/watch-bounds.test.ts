// Point 8 of issue 23: the file watcher of `stack watch` stays bounded whatever a plugin folder
// holds (a link to /usr, a symlink loop) and a watcher error is a warning, not a crash.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cleanup } from '../support/controller.js';
import { isAlive, waitFor } from '../support/stack-cli.js';
import { figures, printFigures, stackTraceLines } from './support.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());
afterAll(() => printFigures('watch-bounds'));

/** Inotify watches a process holds: the `inotify` lines of the fdinfo of each of its inotify fds. */
function inotifyWatches(pid: number): number {
  let watches = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    watches += readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n').filter((line) => line.startsWith('inotify')).length;
  }
  return watches;
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1]) / 1024;
}

const PLUGIN_YAML = ['name: p', 'lifecycle:', '  start: touch running', '  stop: rm -f running', '  status: test -f running || exit 3', 'ignore: [running, touched]', ''].join('\n');

describe('the watcher of a plugin folder stays bounded', () => {
  it('a link to /usr and a symlink loop in a plugin folder: few watches, small memory, no crash, edits still seen', async () => {
    const s = cleanup.scratch('version: 1\nservices:\n  p:\n    plugin: ./plugin\n');
    const plugin = join(s.dir, 'plugin');
    mkdirSync(plugin);
    writeFileSync(join(plugin, 'plugin.yaml'), PLUGIN_YAML);
    symlinkSync('/usr', join(plugin, 'usr'));
    // A link to itself: following it gives ELOOP for real.
    symlinkSync('loop', join(plugin, 'loop'));
    mkdirSync(join(plugin, 'sub'));
    symlinkSync('../sub', join(plugin, 'sub', 'up'));
    figures.faultsInjected += 3;

    const controller = cleanup.cli(['watch', '--interval', '1h', '-f', s.file]);
    const [, pidText] = await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 30_000, 'the "watching" line');
    const pid = Number(pidText);
    await waitFor(() => existsSync(join(plugin, 'running')), 10_000, 'the plugin to start');

    const watches = inotifyWatches(pid);
    const rss = peakRssMb(pid);
    process.stdout.write(`RELIABILITY ${JSON.stringify({ file: 'watch-bounds', inotifyWatches: watches, controllerPeakRssMb: Math.round(rss) })}\n`);
    // The stack folder, the plugin folder and its sub folder: a handful, not the 83k of /usr.
    expect(watches).toBeLessThan(50);
    expect(rss).toBeLessThan(150);

    // Still watching: an edit inside the plugin folder reaches the controller.
    writeFileSync(join(plugin, 'plugin.yaml'), `${PLUGIN_YAML}# edited\n`);
    await controller.waitForStderr(/reconciling \(changed: plugin\.yaml\)/, 10_000, 'the edit to be seen');
    // The links the first scan met are not taken for changes.
    expect(controller.stderr()).not.toMatch(/changed: .*(usr|loop|up)/);
    expect(isAlive(pid)).toBe(true);
    expect(controller.result()).toBeUndefined();
    expect(stackTraceLines(controller.stderr())).toEqual([]);
  }, 60_000);
});
