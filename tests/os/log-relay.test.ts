import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { copyFile, mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseLogLine, type LogLine } from '../../src/model/log-line.js';
import { logRelayDescription, openLogRelay, prepareLogRelay, type LogRelay, type OpenLogRelayOptions, type PendingLogRelay } from '../../src/os/log-relay.js';
import { nativeSpawner } from '../../src/os/native-spawn.js';
import { readProcStat } from '../../src/os/proc-stat.js';
import { spawnDetached } from '../../src/os/runner.js';
import { GroupTracker, isAlive, makeTempDir, removeDir, waitFor } from '../providers/helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const groups = new GroupTracker();
const relays: LogRelay[] = [];
let dir: string | undefined;
// The JavaScript relay, bundled fresh from src (dist/ may be stale or absent).
let shared: string | undefined;
let script = '';

beforeAll(async () => {
  shared = await makeTempDir();
  script = path.join(shared, 'log-relay.cjs');
  await build({ entryPoints: [path.join(repo, 'src/os/log-relay-main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });
});
afterAll(async () => removeDir(shared));
afterEach(async () => {
  await groups.killAll();
  for (const relay of relays.splice(0)) {
    relay.close();
    await relay.exited;
  }
  await removeDir(dir);
  dir = undefined;
});

function records(file: string): LogLine[] {
  return readFileSync(file, 'latin1')
    .split('\n')
    .slice(0, -1)
    .map((line) => parseLogLine(line));
}

/** log-relay.ts and runner.ts bundled as the package lays them out: dist/ beside native/. */
async function bundleRelay(root: string): Promise<string> {
  const entry = path.join(root, 'entry.ts');
  const source = (file: string) => JSON.stringify(path.join(repo, 'src/os', file));
  await writeFile(entry, `export { openLogRelay, prepareLogRelay } from ${source('log-relay.ts')};\nexport { spawnDetached } from ${source('runner.ts')};\n`);
  const bundle = path.join(root, 'dist', 'relay.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'silent',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  await copyFile(script, path.join(root, 'dist', 'log-relay.cjs'));
  const release = path.join(root, 'native', 'build', 'Release');
  await mkdir(release, { recursive: true });
  for (const file of ['stack_spawn.node', 'stack-log-relay']) await copyFile(path.join(repo, 'native/build/Release', file), path.join(release, file));
  return bundle;
}

const texts = (lines: readonly LogLine[], stream: LogLine['stream']) => lines.filter((line) => line.stream === stream).map((line) => line.text);

describe('the native relay', () => {
  it('is built and used here: npm ci builds it beside the addon', () => {
    expect(nativeSpawner()?.relay, 'native/build/Release/stack-log-relay is missing: run `npm ci` (needs g++, make, python3)').toBeDefined();
    expect(logRelayDescription()).toBe('stack-log-relay (native)');
    // Its two steps (pipes, then the relay once the service runs), which a start takes.
    expect(nativeSpawner()?.pendingRelay).toBeDefined();
  });
});

describe.each([
  ['native/log-relay.c', true],
  ['node dist/log-relay.cjs', false],
])('the log relay (%s)', (_name, native) => {
  async function open(name = 'svc.log'): Promise<{ relay: LogRelay; log: string }> {
    dir ??= await makeTempDir();
    const log = path.join(dir, name);
    const fd = openSync(log, 'a', 0o600);
    const options: OpenLogRelayOptions = { native, script };
    try {
      const relay = await openLogRelay(fd, options);
      relays.push(relay);
      expect(relay.via).toBe(native ? 'native' : 'node');
      return { relay, log };
    } finally {
      closeSync(fd);
    }
  }

  it('frames each line with its time and stream, stdout and stderr apart, and exits 0 when both end', async () => {
    const before = new Date().toISOString();
    const { relay, log } = await open();
    writeSync(relay.stdout, 'one\ntwo\n');
    writeSync(relay.stderr, 'bad news\n');
    await waitFor(() => records(log).length === 3, 5000, 'the first three lines');
    writeSync(relay.stdout, 'three\n\nfive, after an empty line\n');
    relay.close();
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    const lines = records(log);
    expect(texts(lines, 'stdout')).toEqual(['one', 'two', 'three', '', 'five, after an empty line']);
    expect(texts(lines, 'stderr')).toEqual(['bad news']);
    const times = lines.map((line) => line.at ?? '');
    expect(times.every((at) => at > before.slice(0, 23) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(at))).toBe(true);
    expect([...times].sort()).toEqual(times);
    // Read later, stamped later.
    expect((lines[3]?.at ?? '') > (lines[0]?.at ?? '')).toBe(true);
  });

  it('cuts a line longer than 64 KiB into pieces and keeps a 64 KiB line whole', async () => {
    const { relay, log } = await open();
    writeSync(relay.stdout, `${'x'.repeat(100 * 1024)}\n${'y'.repeat(64 * 1024)}\n`);
    writeSync(relay.stderr, `${'z'.repeat(128 * 1024)}\n`);
    relay.close();
    await relay.exited;
    const shape = records(log).map((line) => `${line.stream}${line.continues ? '+' : ''} ${line.text[0]}×${line.text.length}`);
    expect(shape.filter((line) => line.startsWith('stdout'))).toEqual(['stdout+ x×65536', 'stdout x×36864', 'stdout y×65536']);
    expect(shape.filter((line) => line.startsWith('stderr'))).toEqual(['stderr+ z×65536', 'stderr z×65536']);
  });

  it('writes a prompt left without its newline for a second as a piece, and the rest of the line later', async () => {
    const { relay, log } = await open();
    const began = performance.now();
    writeSync(relay.stdout, 'name? ');
    await waitFor(() => records(log).length === 1, 5000, 'the prompt');
    const waited = performance.now() - began;
    expect(waited).toBeGreaterThan(900);
    expect(waited).toBeLessThan(2500);
    writeSync(relay.stdout, 'bob\nno newline at the end');
    relay.close();
    await relay.exited;
    expect(records(log).map((line) => [line.stream, line.continues ?? false, line.text])).toEqual([
      ['stdout', true, 'name? '],
      ['stdout', false, 'bob'],
      ['stdout', false, 'no newline at the end'],
    ]);
  });

  it('keeps every byte as written, invalid UTF-8 included', async () => {
    const { relay, log } = await open();
    const bytes = Buffer.from([0x68, 0xc3, 0xa9, 0xff, 0xfe, 0x0d, 0x09, 0x0a]);
    writeSync(relay.stdout, bytes);
    relay.close();
    await relay.exited;
    expect(readFileSync(log).subarray(30)).toEqual(bytes);
  });

  it('lives as long as a descendant of the service holds its output, in a session of its own without the service marker', async () => {
    const { relay, log } = await open();
    const run = await spawnDetached(['/bin/sh', '-c', 'sleep 30 & echo $!; echo started >&2'], {
      cwd: dir as string,
      env: { STACK_SERVICE_ID: 'marker' },
      output: { stdout: relay.stdout, stderr: relay.stderr },
    });
    groups.track(run.pid);
    relay.close();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const sleeper = Number(await waitFor(() => texts(records(log), 'stdout')[0], 5000, 'the background pid'));
    expect(await isAlive(sleeper)).toBe(true);
    await waitFor(() => texts(records(log), 'stderr')[0] === 'started', 5000, 'the stderr line');
    const stat = await readProcStat(relay.pid);
    expect(stat?.state).not.toBe('Z');
    expect(stat?.session).toBe(relay.pid);
    expect(stat?.pgrp).toBe(relay.pid);
    expect(readFileSync(`/proc/${relay.pid}/environ`, 'utf8')).not.toContain('STACK_SERVICE_ID');
    for (const fd of [0, 1, 2]) expect(await readlink(`/proc/${relay.pid}/fd/${fd}`)).toBe('/dev/null');
    // The service's group (the background sleep with it) killed: the relay is not in it, and sees the end.
    process.kill(-run.pid, 'SIGKILL');
    expect(await relay.exited).toEqual({ code: 0, signal: null });
  });

  it('started after its service (prepareLogRelay), loses no line: what the service wrote before it ran waits in the pipes, each stream in order', async () => {
    dir ??= await makeTempDir();
    const log = path.join(dir, 'svc.log');
    const fd = openSync(log, 'a', 0o600);
    let pending: PendingLogRelay;
    try {
      pending = await prepareLogRelay(fd, { native, script });
    } finally {
      closeSync(fd);
    }
    // 5,000 lines on each stream (~24 KB: within a pipe's 64 KiB), and the writer gone before the relay starts.
    const run = await spawnDetached(['/bin/sh', '-c', 'seq 1 5000; seq 1 5000 >&2; echo last'], { cwd: dir, env: {}, output: pending });
    groups.track(run.pid);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const relay = await pending.start();
    relays.push(relay);
    expect(relay.via).toBe(native ? 'native' : 'node');
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    const lines = records(log);
    const numbers = Array.from({ length: 5000 }, (_, index) => String(index + 1));
    expect(texts(lines, 'stdout')).toEqual([...numbers, 'last']);
    expect(texts(lines, 'stderr')).toEqual(numbers);
  });

  it('prepared and cancelled (the service could not start), leaves no relay and no pipe open', async () => {
    dir ??= await makeTempDir();
    const fd = openSync(path.join(dir, 'svc.log'), 'a', 0o600);
    const before = readdirSync('/proc/self/fd').length;
    try {
      const pending = await prepareLogRelay(fd, { native, script });
      pending.cancel();
    } finally {
      closeSync(fd);
    }
    // The JavaScript relay starts at once and ends when its pipes close: waited for by the fds it held.
    await waitFor(() => readdirSync('/proc/self/fd').length <= before - 1, 5000, 'every descriptor closed');
  });

  it('ignores the signals a session or a terminal sends', async () => {
    const { relay, log } = await open();
    // Once it runs (a signal before its main() sets them up would find them at their default).
    writeSync(relay.stdout, 'started\n');
    await waitFor(() => records(log).length === 1, 5000, 'the relay to run');
    for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.kill(relay.pid, signal);
    writeSync(relay.stdout, 'still here\n');
    await waitFor(() => texts(records(log), 'stdout')[1] === 'still here', 5000, 'a line after the signals');
    relay.close();
    expect(await relay.exited).toEqual({ code: 0, signal: null });
  });

  it('loses no line of a writer printing 500,000 as fast as it can', async () => {
    const { relay, log } = await open();
    const count = 500_000;
    let expectedBytes = 0;
    for (let n = 1; n <= count; n++) expectedBytes += 30 + String(n).length + 1;
    const began = performance.now();
    const run = await spawnDetached(['seq', String(count)], { cwd: dir as string, env: {}, output: { stdout: relay.stdout, stderr: relay.stderr } });
    groups.track(run.pid);
    await waitFor(() => statSync(log).size >= expectedBytes, 60_000, 'every line in the log');
    const seconds = (performance.now() - began) / 1000;
    // Read before the relay ends: its CPU time since it started, in clock ticks (1/100 s).
    const stat = readFileSync(`/proc/${relay.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
    relay.close();
    expect(await relay.exited).toEqual({ code: 0, signal: null });
    const lines = records(log);
    expect(lines.length).toBe(count);
    expect(lines.every((line, index) => line.stream === 'stdout' && !line.continues && line.text === String(index + 1))).toBe(true);
    console.log(`relay ${native ? 'native' : 'node'}: ${count} lines in ${seconds.toFixed(2)} s (${Math.round(count / seconds)} lines/s), relay CPU ${cpu.toFixed(2)} s`);
  }, 90_000);

  it('keeps reading when the log cannot be written (/dev/full): the service is never blocked', async () => {
    dir = await makeTempDir();
    const full = openSync('/dev/full', 'w');
    const relay = await openLogRelay(full, { native, script });
    relays.push(relay);
    closeSync(full);
    // Far more than a pipe holds: a relay that stopped reading would block it.
    const run = await spawnDetached(['seq', '200000'], { cwd: dir, env: {}, output: { stdout: relay.stdout, stderr: relay.stderr } });
    groups.track(run.pid);
    relay.close();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(await relay.exited).toEqual({ code: 0, signal: null });
  });

  it('says how much output it lost once writing works again (a file size limit, then none)', async () => {
    const { relay, log } = await open();
    const limit = 4096;
    await execa('prlimit', ['--pid', String(relay.pid), `--fsize=${limit}:unlimited`]);
    // 80 records of 130 bytes in one batch: 31 fit whole, the 32nd is cut, 49 lines of 100 bytes lost.
    writeSync(relay.stdout, `${'x'.repeat(99)}\n`.repeat(80));
    await waitFor(async () => statSync(log).size === limit && (await readProcStat(relay.pid))?.state === 'S', 5000, 'the relay to fail and wait');
    await execa('prlimit', ['--pid', String(relay.pid), '--fsize=unlimited:unlimited']);
    writeSync(relay.stdout, 'after\n');
    await waitFor(() => texts(records(log), 'stdout').includes('after'), 5000, 'the line after');
    const lines = records(log);
    expect(lines.slice(0, 31).every((line) => line.text === 'x'.repeat(99))).toBe(true);
    expect(lines.slice(32).map((line) => `${line.stream} ${line.text}`)).toEqual(['stack stack: 4900 bytes of output lost (File too large)', 'stdout after']);
  });

  it('outlives the stack command that started it', async () => {
    dir = await makeTempDir();
    const root = dir;
    const bundle = await bundleRelay(root);
    const log = path.join(root, 'svc.log');
    const go = path.join(root, 'GO');
    const apply = path.join(root, 'apply.mjs');
    await writeFile(
      apply,
      `import { closeSync, openSync } from 'node:fs';
       import { openLogRelay, spawnDetached } from ${JSON.stringify(bundle)};
       const fd = openSync(${JSON.stringify(log)}, 'a');
       const relay = await openLogRelay(fd);
       closeSync(fd);
       const run = await spawnDetached(['/bin/sh', '-c', 'echo before; while [ ! -e ${go} ]; do sleep 0.05; done; echo after'], { cwd: ${JSON.stringify(root)}, env: {}, output: relay });
       relay.close();
       console.log(relay.pid, relay.via, run.pid);`,
    );
    const result = await execa(process.execPath, [apply], { timeout: 10_000, env: { STACK_NATIVE_SPAWN: native ? '1' : '0' } });
    const [relayPid, via, servicePid] = result.stdout.trim().split(' ');
    groups.track(Number(servicePid));
    expect(via).toBe(native ? 'native' : 'node');
    expect(await isAlive(Number(relayPid))).toBe(true);
    await waitFor(() => texts(records(log), 'stdout')[0] === 'before', 5000, 'the line before');
    await writeFile(go, '');
    await waitFor(() => texts(records(log), 'stdout')[1] === 'after', 5000, 'the line after stack exited');
    await waitFor(async () => !(await isAlive(Number(relayPid))), 5000, 'the relay to end with the service');
    expect(await readFile(log, 'utf8')).toMatch(/^\S{27} o before\n\S{27} o after\n$/);
  });

  it('started after its service, outlives a stack command killed with SIGKILL right after', async () => {
    dir = await makeTempDir();
    const root = dir;
    const bundle = await bundleRelay(root);
    const log = path.join(root, 'svc.log');
    const go = path.join(root, 'GO');
    const apply = path.join(root, 'apply.mjs');
    await writeFile(
      apply,
      `import { closeSync, openSync } from 'node:fs';
       import { prepareLogRelay, spawnDetached } from ${JSON.stringify(bundle)};
       const fd = openSync(${JSON.stringify(log)}, 'a');
       const pending = await prepareLogRelay(fd);
       const run = await spawnDetached(['/bin/sh', '-c', 'echo before; while [ ! -e ${go} ]; do sleep 0.05; done; echo after'], { cwd: ${JSON.stringify(root)}, env: {}, output: pending });
       const relay = await pending.start();
       console.log(relay.pid, relay.via, run.pid);
       process.kill(process.pid, 'SIGKILL');`,
    );
    const result = await execa(process.execPath, [apply], { timeout: 10_000, env: { STACK_NATIVE_SPAWN: native ? '1' : '0' }, reject: false });
    expect(result.signal).toBe('SIGKILL');
    const [relayPid, via, servicePid] = result.stdout.trim().split(' ');
    groups.track(Number(servicePid));
    expect(via).toBe(native ? 'native' : 'node');
    await waitFor(() => texts(records(log), 'stdout')[0] === 'before', 5000, 'the line before');
    await writeFile(go, '');
    await waitFor(() => texts(records(log), 'stdout')[1] === 'after', 5000, 'the line after stack was killed');
    await waitFor(async () => !(await isAlive(Number(relayPid))), 5000, 'the relay to end with the service');
    expect(await readFile(log, 'utf8')).toMatch(/^\S{27} o before\n\S{27} o after\n$/);
  });

  // A caller started with stdin and stderr closed: the log is descriptor 0, a pipe may be 2.
  it('works for a caller whose stdio is closed', async () => {
    dir = await makeTempDir();
    const bundle = await bundleRelay(dir);
    const log = path.join(dir, 'svc.log');
    const apply = path.join(dir, 'apply.mjs');
    await writeFile(
      apply,
      `import { closeSync, openSync } from 'node:fs';
       import { openLogRelay, spawnDetached } from ${JSON.stringify(bundle)};
       closeSync(0);
       closeSync(2);
       const fd = openSync(${JSON.stringify(log)}, 'a');
       const relay = await openLogRelay(fd);
       closeSync(fd);
       const run = await spawnDetached(['/bin/sh', '-c', 'echo out; echo err >&2'], { cwd: ${JSON.stringify(dir)}, env: {}, output: relay });
       relay.close();
       const alive = setInterval(() => undefined, 1000);
       const [service, ended] = await Promise.all([run.exited, relay.exited]);
       clearInterval(alive);
       console.log(fd, relay.stdout, relay.stderr, JSON.stringify([service, ended]));`,
    );
    const result = await execa(process.execPath, [apply], { timeout: 10_000, env: { STACK_NATIVE_SPAWN: native ? '1' : '0' } });
    const [fd, , , exits] = result.stdout.trim().split(' ');
    expect(fd).toBe('0');
    expect(exits).toBe(JSON.stringify([{ code: 0, signal: null }, { code: 0, signal: null }]));
    const lines = records(log);
    expect([texts(lines, 'stdout'), texts(lines, 'stderr')]).toEqual([['out'], ['err']]);
  });
});
