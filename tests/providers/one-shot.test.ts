import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupTracker, isAlive, makeTempDir, removeDir } from './helpers.js';

const groups = new GroupTracker();
let dir: string | undefined;
afterEach(async () => {
  await groups.killAll();
  await removeDir(dir);
});

// A one-shot `stack apply` must exit while the services it started keep running, whichever way
// it starts them: nothing of a child (a handle, a SIGCHLD listener) may keep it alive.
describe.each([
  ['posix_spawn (native addon)', '1'],
  ['node:child_process', '0'],
])('a one-shot caller starting through %s', (_name, native) => {
  it('exits at once and leaves the detached service running', async () => {
    dir = await makeTempDir();
    const source = (file: string) => JSON.stringify(fileURLToPath(new URL(`../../src/providers/${file}`, import.meta.url)));
    const entry = path.join(dir, 'entry.ts');
    await writeFile(entry, `export { spawnDetached } from ${source('runner.ts')};\nexport { nativeSpawner } from ${source('native-spawn.ts')};\n`);
    // Laid out as the package is: the bundle in a folder beside native/.
    const bundle = path.join(dir, 'dist', 'runner.mjs');
    const addon = path.join('native', 'build', 'Release', 'stack_spawn.node');
    await mkdir(path.dirname(path.join(dir, addon)), { recursive: true });
    await copyFile(fileURLToPath(new URL(`../../${addon}`, import.meta.url)), path.join(dir, addon));
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent',
      // execa's CommonJS dependencies call require(); give the ESM bundle one.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
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
});
