import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupTracker, isAlive, makeTempDir, removeDir } from '../providers/helpers.js';

const groups = new GroupTracker();
let dir: string | undefined;
afterEach(async () => {
  await groups.killAll();
  await removeDir(dir);
});

/** runner.ts bundled as the package lays it out (the bundle in a folder beside native/). */
async function bundleRunner(root: string): Promise<string> {
  const source = (file: string) => JSON.stringify(fileURLToPath(new URL(`../../src/os/${file}`, import.meta.url)));
  const entry = path.join(root, 'entry.ts');
  await writeFile(entry, `export { spawnDetached } from ${source('runner.ts')};\nexport { nativeSpawner } from ${source('native-spawn.ts')};\n`);
  const bundle = path.join(root, 'dist', 'runner.mjs');
  const addon = path.join('native', 'build', 'Release', 'stack_spawn.node');
  await mkdir(path.dirname(path.join(root, addon)), { recursive: true });
  await copyFile(fileURLToPath(new URL(`../../${addon}`, import.meta.url)), path.join(root, addon));
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent',
    // execa's CommonJS dependencies call require(); give the ESM bundle one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return bundle;
}

describe.each([
  ['posix_spawn (native addon)', '1'],
  ['node:child_process', '0'],
])('a one-shot caller starting through %s', (_name, native) => {
  // A one-shot `stack apply` must exit while the services it started keep running, whichever
  // way it starts them: nothing of a child (a handle, a SIGCHLD listener) may keep it alive.
  it('exits at once and leaves the detached service running', async () => {
    dir = await makeTempDir();
    const bundle = await bundleRunner(dir);
    const script = path.join(dir, 'apply.mjs');
    await writeFile(
      script,
      `import { openSync } from 'node:fs';
       import { nativeSpawner, spawnDetached } from ${JSON.stringify(bundle)};
       const run = await spawnDetached(['sleep', '30'], { cwd: ${JSON.stringify(dir)}, env: {}, logFd: openSync(${JSON.stringify(path.join(dir, 'x.log'))}, 'a') });
       console.log(run.pid, nativeSpawner() ? 'native' : 'node');`,
    );
    const began = performance.now();
    const result = await execa(process.execPath, [script], { timeout: 10_000, env: { STACK_NATIVE_SPAWN: native } });
    const [pid, used] = result.stdout.trim().split(' ');
    groups.track(Number(pid));
    expect(used).toBe(native === '1' ? 'native' : 'node');
    expect(performance.now() - began).toBeLessThan(5000);
    expect(await isAlive(Number(pid))).toBe(true);
  });

  // A caller started with its stdin closed opens the log as descriptor 0.
  it('writes the output to a log that is descriptor 0', async () => {
    dir = await makeTempDir();
    const bundle = await bundleRunner(dir);
    const log = path.join(dir, 'x.log');
    const script = path.join(dir, 'apply.mjs');
    await writeFile(
      script,
      `import { closeSync, openSync, readFileSync } from 'node:fs';
       import { spawnDetached } from ${JSON.stringify(bundle)};
       closeSync(0);
       const fd = openSync(${JSON.stringify(log)}, 'a');
       const run = await spawnDetached(['/bin/sh', '-c', 'echo out; echo err >&2; cat'], { cwd: ${JSON.stringify(dir)}, env: {}, logFd: fd });
       // The exit promise keeps nothing alive (see above): this timer does, until it settles.
       const alive = setInterval(() => undefined, 1000);
       console.log(fd, JSON.stringify(await run.exited));
       clearInterval(alive);`,
    );
    const result = await execa(process.execPath, [script], { timeout: 10_000, env: { STACK_NATIVE_SPAWN: native } });
    expect(result.stdout.trim()).toBe('0 {"code":0,"signal":null}');
    expect(await readFile(log, 'utf8')).toBe('out\nerr\n');
  });
});
