import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

// A private copy of the installed layout (bin/, dist/cli.cjs, package.json), so the cache this
// test looks at is its own and not the one every other CLI test shares.
const install = mkdtempSync(join(tmpdir(), 'stack-bundle-'));
mkdirSync(join(install, 'bin'));
mkdirSync(join(install, 'dist'));
copyFileSync(join(ROOT, 'bin', 'stack.cjs'), join(install, 'bin', 'stack.cjs'));
copyFileSync(join(ROOT, 'dist', 'cli.cjs'), join(install, 'dist', 'cli.cjs'));
copyFileSync(join(ROOT, 'package.json'), join(install, 'package.json'));
const cacheDir = join(install, 'dist', '.cache');
const stackFile = join(install, 'stack.yaml');
writeFileSync(stackFile, 'version: 1\nservices:\n  web:\n    command: [sleep, "60"]\n');

afterAll(() => rmSync(install, { recursive: true, force: true }));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [join(install, 'bin', 'stack.cjs'), ...args], { cwd: install, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', STACK_NO_CODE_CACHE: '' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cacheOf = (command: string) => readdirSync(cacheDir).filter((name) => name.startsWith(`cli-${command}-`) && name.endsWith('.bin'));

describe('the CLI bundle runs from a V8 code cache', () => {
  it('the first run of a command saves its cache; later runs use it as it is', () => {
    const first = run('validate');
    expect(first.code).toBe(0);
    expect(cacheOf('validate')).toHaveLength(1);
    const file = join(cacheDir, cacheOf('validate')[0] as string);
    const before = statSync(file);

    const second = run('validate');
    expect(second).toEqual(first);
    // Accepted data is not written again: same file, same modification time.
    const after = statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('each command has its own cache', () => {
    expect(run('plan').code).toBe(0);
    expect(cacheOf('plan')).toHaveLength(1);
    expect(cacheOf('validate')).toHaveLength(1);
  });

  it('a damaged cache is rejected by V8, the command runs as usual, and the cache is made again', () => {
    expect(run('schema').code).toBe(0);
    const file = join(cacheDir, cacheOf('schema')[0] as string);
    writeFileSync(file, Buffer.alloc(4096, 7));
    const result = run('schema');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty('$schema');
    expect(statSync(file).size).not.toBe(4096);
  });

  it('a rebuilt bundle does not reuse the caches of the old one, which are removed', () => {
    expect(run('validate').code).toBe(0);
    const old = cacheOf('validate');
    // Same size, new modification time: what a rebuild with an equal-length change looks like.
    const bundle = join(install, 'dist', 'cli.cjs');
    const later = new Date(statSync(bundle).mtimeMs + 5_000);
    writeFileSync(bundle, readFileSync(bundle));
    utimesSync(bundle, later, later);
    expect(run('validate').code).toBe(0);
    const now = cacheOf('validate');
    expect(now).toHaveLength(1);
    expect(now).not.toEqual(old);
  });

  it('STACK_NO_CODE_CACHE=1 neither reads nor writes a cache', () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const result = spawnSync(process.execPath, [join(install, 'bin', 'stack.cjs'), 'validate'], { cwd: install, encoding: 'utf8', env: { ...process.env, STACK_NO_CODE_CACHE: '1' } });
    expect(result.status).toBe(0);
    expect(() => readdirSync(cacheDir)).toThrow(/ENOENT/);
  });
});

describe('errors from the minified bundle', () => {
  it('a folder-shaped problem is a message, not a trace; STACK_DEBUG=1 traces point at the TypeScript sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-debug-'));
    try {
      writeFileSync(join(dir, 'stack.yaml'), 'version: 1\nservices:\n  web:\n    command: [sleep, "60"]\n');
      writeFileSync(join(dir, '.stack'), 'not a folder\n');
      const plain = spawnSync(process.execPath, [join(ROOT, 'bin', 'stack.cjs'), 'status'], { cwd: dir, encoding: 'utf8' });
      expect(plain.status).toBe(1);
      expect(plain.stderr).toBe(`error: cannot use ${join(dir, '.stack')} for stack's state: a file of that name is in the way\nhint: move or delete it; stack keeps its state, logs and lock in that folder\n`);

      const debug = spawnSync(process.execPath, [join(ROOT, 'bin', 'stack.cjs'), 'status'], { cwd: dir, encoding: 'utf8', env: { ...process.env, STACK_DEBUG: '1' } });
      expect(debug.status).toBe(1);
      expect(debug.stderr).toMatch(/at .*src\/state\/state-file\.ts:\d+:\d+/);
      expect(debug.stderr).not.toMatch(/cli\.cjs:\d+:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
