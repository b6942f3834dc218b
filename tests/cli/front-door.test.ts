// README's set-up commands, run as a new user would from a clone: `stack` on PATH, then the quickstart.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'stack-front-door-'));
const prefix = join(scratch, 'prefix');
const clone = join(scratch, 'clone');

/** The shell lines of README's first ```sh block under "## Set up". */
function quickstartLines(): string[] {
  const section = readme.slice(readme.indexOf('## Set up'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README has no ```sh block under "## Set up"');
  return (block[1] ?? '').split('\n').filter((line) => line.trim() !== '');
}

function sh(line: string, cwd: string) {
  const result = spawnSync('bash', ['-c', line], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, npm_config_prefix: prefix },
  });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

afterAll(() => {
  sh('stack -f examples/quickstart/stack.yaml down --yes', clone);
  rmSync(scratch, { recursive: true, force: true });
});

describe('the front door', () => {
  it('the npm name is not `stack` (another package owns it), and the command it installs is', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
    expect(manifest.name).not.toBe('stack');
    expect(Object.keys(manifest.bin)).toEqual(['stack']);
    expect(readme).toContain(`\`${manifest.name}\``);
  });

  it("README's quickstart works with plain `stack` after its own install line", () => {
    const [first = '', ...rest] = quickstartLines();
    expect(first).toMatch(/^npm ci && npm install -g \. && stack /);
    expect([first, ...rest].some((line) => line.includes('npx'))).toBe(false);
    // The clone stands in for the user's: its examples, with this checkout's installed build
    // (npm ci ran already), so the install line runs for real apart from the `npm ci` in front.
    // --ignore-scripts: npm may run the package's `prepare` (a rebuild of dist/) on a folder
    // install, which would pull dist/ from under the tests running beside this one.
    cpSync(join(ROOT, 'examples'), join(clone, 'examples'), { recursive: true });
    const install = sh(`npm install -g --ignore-scripts --no-audit --no-fund --offline ${JSON.stringify(ROOT)}`, clone);
    expect(install.code, install.out).toBe(0);
    expect(existsSync(join(prefix, 'bin', 'stack'))).toBe(true);
    const run = [first.replace(/^npm ci && npm install -g \. && /, ''), ...rest];
    const outputs = run.map((line) => ({ line, ...sh(line, clone) }));
    for (const { line, code, out } of outputs) expect(code, `${line}\n${out}`).toBe(0);
    expect(outputs[1]?.out).toMatch(/api\s+process\s+\S*\s*running/);
    expect(outputs[3]?.out).toMatch(/stopp/i);
  }, 180_000);
});
