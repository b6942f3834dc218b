// The development loop (issue 31, points 1–3) on real processes under a real controller: a saved
// file builds and restarts the service and what restarts with it; a failed build keeps the running
// process; a new start that fails waits for the next change; a burst of saves is one build; a
// newer change cancels a build in progress; ignored files change nothing.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../../src/model/log-line.js';
import { Cleanup, statusJson, type Scratch } from '../support/controller.js';
import { stack, waitFor } from '../support/stack-cli.js';

const cleanup = new Cleanup();
afterEach(() => cleanup.run());

const marker = () => cleanup.marker(String(60_000 + Math.floor(Math.random() * 9_000)));

const logOf = (s: Scratch, name: string): string[] => {
  try {
    return readFileSync(join(s.dir, '.stack', 'logs', `${name}.log`), 'utf8').split('\n').slice(0, -1).map((line) => parseLogLine(line).text);
  } catch {
    return [];
  }
};
const pidOf = (s: Scratch, name: string) => s.state().services[name]?.pid;
const rowOf = (s: Scratch, name: string) => statusJson(s.file).services.find((row) => row.name === name) as { observed: string; pid: number | null; waiting?: string } | undefined;
const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

async function up(s: Scratch) {
  const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
  await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 10_000, 'the "watching" line');
  return controller;
}

describe('the development loop', () => {
  it('a save builds, then restarts the service and what restarts with it; a failed build keeps the running one and says why', async () => {
    const m = marker();
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  web:',
        `    command: [sh, -c, 'cat dist/version; exec sleep ${m}']`,
        '    watch: ["src/**"]',
        `    build: [sh, -c, 'grep -q ok src/version && mkdir -p dist && cp src/version dist/version']`,
        '  api:',
        `    command: [sh, -c, 'exec sleep ${m}']`,
        '    dependsOn: [web]',
        '    restartWith: [web]',
        '  other:',
        `    command: [sh, -c, 'exec sleep ${m}']`,
        '',
      ].join('\n'),
      { '.gitignore': 'src/*.tmp\n' },
    );
    mkdirSync(join(s.dir, 'src'));
    mkdirSync(join(s.dir, 'dist'));
    writeFileSync(join(s.dir, 'src', 'version'), 'v1 ok\n');
    writeFileSync(join(s.dir, 'dist', 'version'), 'v1 ok\n');
    await up(s);
    await waitFor(() => pidOf(s, 'api') && pidOf(s, 'other'), 10_000, 'the stack up');
    const [web1, api1, other1] = [pidOf(s, 'web'), pidOf(s, 'api'), pidOf(s, 'other')];

    // Ignored by .gitignore: nothing happens.
    writeFileSync(join(s.dir, 'src', 'scratch.tmp'), 'x');
    writeFileSync(join(s.dir, 'src', 'version'), 'v2 ok\n');
    await waitFor(() => logOf(s, 'web').includes('── web: restarted with api ──'), 10_000, 'web and api restarted');
    expect(logOf(s, 'web')).toContain('v2 ok');
    expect(pidOf(s, 'api')).not.toBe(api1);
    expect(pidOf(s, 'web')).not.toBe(web1);
    expect(pidOf(s, 'other')).toBe(other1);
    expect(logOf(s, 'web')).toContain('── web: changed: src/version ──');
    expect(logOf(s, 'web')).toContain('── web: restarted with api ──');
    expect(logOf(s, 'web').join('\n')).not.toContain('scratch.tmp');

    const web2 = pidOf(s, 'web');
    writeFileSync(join(s.dir, 'src', 'version'), 'v3 bad\n');
    await waitFor(() => rowOf(s, 'web')?.waiting !== undefined, 10_000, 'web waiting');
    expect(rowOf(s, 'web')).toMatchObject({ observed: 'running', pid: web2, waiting: 'waiting for a change (last build failed: exited with code 1)' });
    expect(logOf(s, 'web')).toContain('── web: build failed: exited with code 1; the running process is kept ──');
    expect(stack(['status', '-f', s.file], { env: { ...process.env, NO_COLOR: '1' } }).stdout).toContain('  web: waiting for a change (last build failed: exited with code 1)');
    const events = stack(['events', '--since', '1m', '--no-follow', '-f', s.file], { env: { ...process.env, NO_COLOR: '1' } }).stdout;
    expect(events).toMatch(/✗ web: build failed: exited with code 1; the running process is kept/);

    writeFileSync(join(s.dir, 'src', 'version'), 'v4 ok\n');
    await waitFor(() => logOf(s, 'web').includes('v4 ok'), 10_000, 'the next good save to restart web');
    await waitFor(() => rowOf(s, 'web')?.waiting === undefined, 10_000, 'the waiting cleared');
  });

  it('a new start that fails waits for the next change instead of crash-looping; the next good save restores supervision', async () => {
    const m = marker();
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  web:',
        `    command: [sh, -c, 'grep -q crash src/mode && exit 3; exec sleep ${m}']`,
        '    watch: ["src/mode"]',
        '    start: { settle: 300ms }',
        '    restart: { backoff: { initial: 50ms, max: 100ms } }',
        '',
      ].join('\n'),
    );
    mkdirSync(join(s.dir, 'src'));
    writeFileSync(join(s.dir, 'src', 'mode'), 'fine\n');
    await up(s);
    await waitFor(() => pidOf(s, 'web'), 10_000, 'web up');
    writeFileSync(join(s.dir, 'src', 'mode'), 'crash\n');
    await waitFor(() => rowOf(s, 'web')?.waiting?.startsWith('waiting for a change (last start failed: '), 10_000, 'web waiting after its failed start');
    const starts = () => logOf(s, 'web').filter((line) => line === '── web started ──').length;
    const before = starts();
    // Several passes (interval 1s) go by: nothing starts it again.
    const since = Date.now();
    await waitFor(() => Date.now() - since > 2_500, 5_000, 'passes to go by');
    expect(starts()).toBe(before);
    expect(rowOf(s, 'web')?.observed).not.toBe('running');
    writeFileSync(join(s.dir, 'src', 'mode'), 'fine again\n');
    await waitFor(() => rowOf(s, 'web')?.observed === 'running' && rowOf(s, 'web')?.waiting === undefined, 10_000, 'web running again');
  });

  it('a burst of saves is one build; a change during a build cancels it and builds again', async () => {
    const m = marker();
    const s = cleanup.scratch(
      [
        'version: 1',
        'services:',
        '  web:',
        `    command: [sh, -c, 'exec sleep ${m}']`,
        '    watch: { paths: ["src/**"], debounce: 100ms }',
        // What it builds is read before it says so: a save after `begin` is the next build's.
        `    build: [sh, -c, 'mode=$$(cat src/a); echo begin >> builds.log; if [ "$$mode" = slow ]; then sleep 3; fi; echo end >> builds.log']`,
        '',
      ].join('\n'),
    );
    mkdirSync(join(s.dir, 'src'));
    writeFileSync(join(s.dir, 'src', 'a'), '0\n');
    await up(s);
    await waitFor(() => pidOf(s, 'web'), 10_000, 'web up');
    const builds = join(s.dir, 'builds.log');
    for (let i = 0; i < 100; i += 1) {
      appendFileSync(join(s.dir, 'src', 'a'), `${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor(() => lines(builds).length === 2 && logOf(s, 'web').includes('── web: restarted ──'), 10_000, 'the one build and restart');
    expect(lines(builds)).toEqual(['begin', 'end']);

    writeFileSync(join(s.dir, 'src', 'a'), 'slow\n');
    await waitFor(() => lines(builds).length === 3, 10_000, 'the slow build to begin');
    writeFileSync(join(s.dir, 'src', 'b'), 'quick\n');
    writeFileSync(join(s.dir, 'src', 'a'), 'quick\n');
    await waitFor(() => lines(builds).length === 5, 10_000, 'the next build to end');
    // The slow build was killed before its end: begin, begin, end.
    expect(lines(builds)).toEqual(['begin', 'end', 'begin', 'begin', 'end']);
  });
});
