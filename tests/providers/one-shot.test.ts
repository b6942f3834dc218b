import { writeFile } from 'node:fs/promises';
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

// A one-shot `stack apply` must exit while the services it started keep running.
describe('a one-shot caller', () => {
  it('exits at once and leaves the detached service running', async () => {
    dir = await makeTempDir();
    const runner = fileURLToPath(new URL('../../src/providers/runner.ts', import.meta.url));
    const bundle = path.join(dir, 'runner.mjs');
    await build({ entryPoints: [runner], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent',
      // execa's CommonJS dependencies call require(); give the ESM bundle one.
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    });
    const script = path.join(dir, 'apply.mjs');
    await writeFile(
      script,
      `import { openSync } from 'node:fs';
       import { spawnDetached } from ${JSON.stringify(bundle)};
       const run = await spawnDetached(['sleep', '30'], { cwd: ${JSON.stringify(dir)}, env: {}, logFd: openSync(${JSON.stringify(path.join(dir, 'x.log'))}, 'a') });
       console.log(run.pid);`,
    );
    const began = performance.now();
    const result = await execa(process.execPath, [script], { timeout: 10_000 });
    const pid = Number(result.stdout.trim());
    groups.track(pid);
    expect(performance.now() - began).toBeLessThan(5000);
    expect(await isAlive(pid)).toBe(true);
  });
});
