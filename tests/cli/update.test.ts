// `stack update` on real git repositories (file:// remotes) and real plugin processes; compose
// images on the real engine (tests/cli/update-compose.test.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { commitFiles, gitIn, makeRepo, removeTempFolders } from '../support/git-repo.js';
import { stack, tempStack } from '../support/stack-cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
afterAll(removeTempFolders);

/** A plugin repository whose `start` writes its version beside stack.yaml (its folder is .stack/plugins/<name>-<commit>/). */
function pluginFiles(version: string): Record<string, string> {
  return {
    'plugin.yaml': [
      'name: hello',
      'lifecycle:',
      `  start: echo "${version}" > "$STACK_PLUGIN_DIR/../../../version"; touch "$STACK_PLUGIN_DIR/../../../running"`,
      '  stop: rm -f "$STACK_PLUGIN_DIR/../../../running"',
      '  status: test -f "$STACK_PLUGIN_DIR/../../../running" || exit 3',
      '',
    ].join('\n'),
  };
}

function stackYaml(url: string, commit: string | undefined, ref = 'main'): string {
  return [
    'version: 1',
    'services:',
    '  # the hello plugin, from its own repository',
    '  hello:',
    '    plugin:',
    `      git: ${url}   # where it lives`,
    `      ref: ${ref}`,
    ...(commit ? [`      commit: ${commit}   # pinned by stack update`] : []),
    '',
  ].join('\n');
}

function setup(yaml: string) {
  const fixture = tempStack(yaml);
  cleanups.push(() => {
    stack(['down', '--yes'], { cwd: fixture.dir });
    fixture.cleanup();
  });
  gitIn(fixture.dir, 'init', '--quiet', '--initial-branch=main');
  gitIn(fixture.dir, 'add', 'stack.yaml');
  gitIn(fixture.dir, 'commit', '--quiet', '-m', 'stack');
  return fixture;
}

const text = (dir: string) => readFileSync(join(dir, 'stack.yaml'), 'utf8');

describe('stack update: git plugins', () => {
  it('fetches the pinned commit, then moves the pin to the ref\'s newest commit, comments kept, plan shown, applied', () => {
    const repo = makeRepo(pluginFiles('v1'));
    const first = gitIn(repo, 'rev-parse', 'HEAD');
    const fixture = setup(stackYaml(`file://${repo}`, first));

    const applied = stack(['apply', '--yes'], { cwd: fixture.dir });
    expect(applied.code, applied.stderr).toBe(0);
    expect(readFileSync(join(fixture.dir, 'version'), 'utf8').trim()).toBe('v1');
    expect(existsSync(join(fixture.dir, '.stack', 'plugins', `hello-${first}`, 'plugin.yaml'))).toBe(true);

    const second = commitFiles(repo, pluginFiles('v2'), 'v2');
    const dry = stack(['update', '--dry-run'], { cwd: fixture.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`hello: plugin file://${repo} (main): ${first.slice(0, 12)} → ${second.slice(0, 12)}`);
    expect(text(fixture.dir)).toContain(`commit: ${first}`);

    const before = text(fixture.dir);
    const updated = stack(['update', '--yes', '--commit'], { cwd: fixture.dir });
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/plugin\.commit/);
    expect(updated.stdout).toContain(`Pinned hello to ${second.slice(0, 12)}`);
    expect(text(fixture.dir)).toBe(before.replace(first, second));
    expect(readFileSync(join(fixture.dir, 'version'), 'utf8').trim()).toBe('v2');
    expect(gitIn(fixture.dir, 'log', '-1', '--format=%s')).toBe(`stack: update hello to ${second.slice(0, 12)}`);
    expect(gitIn(fixture.dir, 'status', '--porcelain', '--', 'stack.yaml')).toBe('');

    const plan = stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const again = stack(['update', '--yes'], { cwd: fixture.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Everything is up to date.');
  });

  it('a plugin without a commit is refused with a hint; update pins it; --dry-run and a declined update change nothing', () => {
    const repo = makeRepo(pluginFiles('v1'));
    const head = gitIn(repo, 'rev-parse', 'HEAD');
    const fixture = setup(stackYaml(`file://${repo}`, undefined));

    const plan = stack(['plan'], { cwd: fixture.dir });
    expect(plan.code).toBe(5);
    expect(plan.stderr).toContain('its git plugin is not pinned to a commit');
    expect(plan.stderr).toContain('stack update hello');

    const before = text(fixture.dir);
    const dry = stack(['update', '--dry-run'], { cwd: fixture.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`not pinned → ${head.slice(0, 12)}`);
    const refused = stack(['update'], { cwd: fixture.dir, input: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stdin is not a terminal');
    expect(text(fixture.dir)).toBe(before);
    expect(existsSync(join(fixture.dir, 'version'))).toBe(false);

    const pinned = stack(['update', 'hello', '--yes'], { cwd: fixture.dir });
    expect(pinned.code, pinned.stderr).toBe(0);
    expect(text(fixture.dir)).toContain(`      commit: ${head}\n`);
    expect(readFileSync(join(fixture.dir, 'version'), 'utf8').trim()).toBe('v1');
  });

  it('an unreachable URL, an unknown ref and an ext:: URL are one clear error each', () => {
    const repo = makeRepo(pluginFiles('v1'));
    const head = gitIn(repo, 'rev-parse', 'HEAD');
    const missing = setup(stackYaml('file:///nonexistent/plugin.git', head));
    const fetched = stack(['plan'], { cwd: missing.dir });
    expect(fetched.code).toBe(1);
    expect(fetched.stderr).toMatch(/^error: service "hello": cannot clone file:\/\/\/nonexistent\/plugin\.git: .+$/m);
    expect(fetched.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(missing.dir, '.stack', 'plugins'))).toEqual([]);
    const updated = stack(['update', '--dry-run'], { cwd: missing.dir });
    expect(updated.code).toBe(1);
    expect(updated.stderr).toMatch(/cannot read file:\/\/\/nonexistent\/plugin\.git/);

    const badRef = setup(stackYaml(`file://${repo}`, head, 'no-such-branch'));
    const refUpdate = stack(['update', '--dry-run'], { cwd: badRef.dir });
    expect(refUpdate.code).toBe(1);
    expect(refUpdate.stderr).toContain(`has no branch or tag "no-such-branch"`);

    const ext = setup(stackYaml("'ext::sh -c touch% /tmp/stack-ext-pwned'", head));
    const refused = stack(['validate'], { cwd: ext.dir });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('"ext::" transport is not allowed');
    expect(stack(['update', '--dry-run'], { cwd: ext.dir }).code).toBe(5);
    expect(existsSync('/tmp/stack-ext-pwned')).toBe(false);
  });
});
