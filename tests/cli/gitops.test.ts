import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitFiles, GIT_ENV, gitIn, makeRemoteSetup, makeRepo, removeTempFolders, touchedBy, writeFiles } from '../support/git-repo.js';
import { killRecordedGroups, processesWith, stack, stackAsync, waitFor } from '../support/stack-cli.js';
import { uniqueMarker } from '../support/marker.js';

// Runs the built CLI (`node scripts/build.mjs` first), with real git repositories in temp folders.

const stackDirs: string[] = [];
afterEach(() => {
  for (const dir of stackDirs.splice(0)) {
    stack(['down', '--yes', '-f', join(dir, 'stack.yaml')]);
    killRecordedGroups(dir);
  }
  removeTempFolders();
});

const marker = uniqueMarker;
const run = (args: string[], cwd: string) => stack(args, { cwd, env: GIT_ENV });

const TWO = (m: string, webExtra = '') =>
  `# the stack\nversion: 1\nservices:\n  web:   # front\n    command: sleep ${m}${webExtra}\n\n  api:\n    command: [sleep, "${m}"]\n    env: { LEVEL: info }\n`;

describe('verbs that edit and commit stack.yaml', () => {
  it('stop --commit edits one line, commits it alone and stops only that service', () => {
    const m = marker();
    const repo = makeRepo({ 'stack.yaml': TWO(m), '.gitignore': '.stack/\n' });
    stackDirs.push(repo);
    expect(run(['apply', '--yes'], repo).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
    const before = gitIn(repo, 'rev-parse', 'HEAD');

    const stopped = run(['stop', 'web', '--commit'], repo);
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('Set state: stopped for web in stack.yaml.');
    expect(stopped.stdout).toMatch(/Committed stack\.yaml as [0-9a-f]{7}: stack: stop web/);
    expect(readFileSync(join(repo, 'stack.yaml'), 'utf8')).toBe(TWO(m).replace(`sleep ${m}\n\n`, `sleep ${m}\n    state: stopped\n\n`));
    expect(gitIn(repo, 'rev-list', '--count', `${before}..HEAD`)).toBe('1');
    expect(touchedBy(repo)).toEqual(['stack.yaml']);
    expect(gitIn(repo, 'log', '-1', '--format=%s')).toBe('stack: stop web');
    expect(gitIn(repo, 'status', '--porcelain')).toBe('');
    expect(processesWith(`sleep ${m}`).map((found) => found.cmdline.trim())).toEqual([`sleep ${m}`]);
    const status = JSON.parse(run(['status', '--json'], repo).stdout) as { services: { name: string; observed: string }[] };
    expect(status.services.map((row) => `${row.name} ${row.observed}`)).toEqual(['web stopped', 'api running']);

    const started = run(['start', 'web', '-m', 'web back'], repo);
    expect(started.code).toBe(0);
    expect(readFileSync(join(repo, 'stack.yaml'), 'utf8')).toContain('    state: running\n');
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
  });

  it('refuses --commit when stack.yaml already had uncommitted changes, leaving it as it was', () => {
    const m = marker();
    const repo = makeRepo({ 'stack.yaml': TWO(m) });
    const dirty = `${TWO(m)}# my own edit\n`;
    writeFiles(repo, { 'stack.yaml': dirty });
    const before = gitIn(repo, 'rev-parse', 'HEAD');
    const refused = run(['disable', 'api', '--commit', '--no-apply'], repo);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stack.yaml has uncommitted changes');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(repo, 'stack.yaml'), 'utf8')).toBe(dirty);
    expect(gitIn(repo, 'rev-parse', 'HEAD')).toBe(before);
  });

  it('works from a subfolder of the repository, and exits 4 for an unknown service', () => {
    const m = marker();
    const repo = makeRepo({ 'deploy/stack.yaml': TWO(m) });
    mkdirSync(join(repo, 'deploy', 'deep'));
    const cwd = join(repo, 'deploy', 'deep');
    expect(run(['stop', 'nope', '--no-apply'], cwd).code).toBe(4);
    const edited = run(['disable', 'api', '--no-apply', '--commit'], cwd);
    expect(edited.code).toBe(0);
    expect(touchedBy(repo)).toEqual(['deploy/stack.yaml']);
    expect(gitIn(repo, 'log', '-1', '--format=%s')).toBe('stack: disable api');
  });

  it('with a controller holding the lock, only edits the file and says the controller applies it', () => {
    const m = marker();
    const repo = makeRepo({ 'stack.yaml': TWO(m) });
    stackDirs.push(repo);
    expect(run(['apply', '--yes'], repo).code).toBe(0);
    // This test's own process stands in for `stack watch`: a live pid holding the lock.
    writeFileSync(join(repo, '.stack', 'lock'), JSON.stringify({ pid: process.pid, command: 'stack watch', since: new Date().toISOString() }));
    const stopped = run(['stop', 'web'], repo);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`pid ${process.pid} (\`stack watch\``);
    expect(stopped.stdout).toContain('it applies the change by itself');
    expect(readFileSync(join(repo, 'stack.yaml'), 'utf8')).toContain('    state: stopped\n');
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
    writeFileSync(join(repo, '.stack', 'lock'), '');
  });
});

describe('stack diff', () => {
  it('compares two commits and the working file without probing, exit 0 or 2', () => {
    const m = marker();
    const repo = makeRepo({ 'ops/stack.yaml': TWO(m) });
    commitFiles(repo, { 'ops/stack.yaml': TWO(m).replace('LEVEL: info', 'LEVEL: debug') }, 'debug api');
    const cwd = join(repo, 'ops');

    const changed = run(['diff', 'HEAD~1', 'HEAD'], cwd);
    expect(changed.code).toBe(2);
    expect(changed.stdout).toContain('~ api  changed: env.LEVEL');
    expect(changed.stdout).toContain('env.LEVEL: "info" → "debug"');
    expect(run(['diff'], cwd).code).toBe(0);
    expect(run(['diff'], cwd).stdout).toContain('No differences');

    writeFiles(repo, { 'ops/stack.yaml': TWO(m).replace('  web:   # front\n', '  web:   # front\n    enabled: false\n') });
    const markdown = run(['diff', 'HEAD~1', '--format', 'markdown'], join(repo, 'ops'));
    expect(markdown.code).toBe(2);
    expect(markdown.stdout).toContain('### stack diff: `HEAD~1 (');
    expect(markdown.stdout).toContain('| `-` | `web` | disabled |');
    expect(markdown.stdout).not.toContain('env.LEVEL');
    expect(run(['diff', '--format', 'markdown'], cwd).stdout).toContain('#### `api`\n\n```diff\n- env.LEVEL: debug\n+ env.LEVEL: info\n```');
    const json = JSON.parse(run(['diff', '--json'], cwd).stdout) as { formatVersion: number; services: { service: string; enabled: unknown }[] };
    expect(json.formatVersion).toBe(1);
    expect(json.services).toEqual([expect.objectContaining({ service: 'web', enabled: { before: true, after: false } }), expect.objectContaining({ service: 'api' })]);
    // Nothing was observed or written: no state folder appeared.
    expect(() => readFileSync(join(cwd, '.stack', 'state.json'))).toThrow();
    expect(run(['diff', 'no-such-rev'], cwd)).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown revision "no-such-rev"') });
  });
});

describe('saved plans', () => {
  it('apply plan.json carries out exactly the saved plan, and refuses a stale one saying what changed', () => {
    const m = marker();
    const repo = makeRepo({ 'stack.yaml': TWO(m) });
    stackDirs.push(repo);
    const saved = run(['plan', '-o', 'plan.json'], repo);
    expect(saved.code).toBe(0);
    expect(saved.stderr).toContain('Saved the plan to plan.json');
    const file = JSON.parse(readFileSync(join(repo, 'plan.json'), 'utf8')) as { formatVersion: number; stackHash: string; services: Record<string, unknown> };
    expect(file.formatVersion).toBe(1);
    expect(file.stackHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(file.services.web).toEqual({ phase: 'absent', pid: null, appliedSpecHash: null, desiredSpecHash: expect.any(String) });

    writeFiles(repo, { 'stack.yaml': TWO(m).replace('LEVEL: info', 'LEVEL: warn') });
    const stale = run(['apply', 'plan.json'], repo);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('the saved plan plan.json is stale');
    expect(stale.stderr).toContain('stack.yaml changed since the plan was made');
    expect(processesWith(`sleep ${m}`)).toHaveLength(0);

    expect(run(['plan', '-o', 'plan.json', '-t', 'web'], repo).code).toBe(0);
    const applied = run(['apply', 'plan.json'], repo);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(processesWith(`sleep ${m}`).map((found) => found.cmdline.trim())).toEqual([`sleep ${m}`]);

    // The same plan again: web is running now, so it no longer matches what the plan saw.
    const again = run(['apply', 'plan.json'], repo);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('web was absent, now running');
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);
  });

  it('plan --format markdown prints the plan for a pull request', () => {
    const m = marker();
    const repo = makeRepo({ 'stack.yaml': TWO(m) });
    const markdown = run(['plan', '--format', 'markdown'], repo);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain('**Plan: 2 to install, 2 to start.**');
    expect(markdown.stdout).toContain('| `+` | `web` | install | new service |');
    expect(run(['plan', '--format', 'yaml'], repo).code).toBe(1);
  });
});

describe('stack sync --once', () => {
  it('applies a change pushed to the remote, and refuses to sync a diverged branch', () => {
    const m = marker();
    const files = { 'stack.yaml': `version: 1\nservices:\n  web:\n    command: sleep ${m}\n`, '.gitignore': '.stack/\n' };
    const { upstream, follower } = makeRemoteSetup(files);
    stackDirs.push(follower);
    expect(run(['apply', '--yes'], follower).code).toBe(0);
    expect(processesWith(`sleep ${m}`)).toHaveLength(1);

    commitFiles(upstream, { 'stack.yaml': `${files['stack.yaml']}  worker:\n    command: [sleep, "${m}"]\n` }, 'add worker');
    gitIn(upstream, 'push', '--quiet', 'origin', 'main');
    const synced = run(['sync', '--once'], follower);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(/Fast-forwarded main from [0-9a-f]{7} to [0-9a-f]{7} \(1 commit from origin\/main\)/);
    expect(synced.stdout).toContain('The stack changed (stack.yaml): reconciling.');
    expect(processesWith(`sleep ${m}`)).toHaveLength(2);
    expect(run(['sync', '--once'], follower).stdout).toContain('main is up to date with origin/main');

    commitFiles(upstream, { 'README.md': 'theirs\n' }, 'theirs');
    gitIn(upstream, 'push', '--quiet', 'origin', 'main');
    const mine = commitFiles(follower, { 'NOTES.md': 'mine\n' }, 'mine');
    const refused = run(['sync', '--once'], follower);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to sync: main and origin/main have diverged (1 local and 1 remote commit)');
    expect(gitIn(follower, 'rev-parse', 'HEAD')).toBe(mine);
  });
});

describe('stack sync --interval', () => {
  it('keeps following: a push is applied on a later pass, and SIGTERM ends the loop with exit 0', async () => {
    const m = marker();
    const files = { 'stack.yaml': `version: 1\nservices:\n  web:\n    command: sleep ${m}\n`, '.gitignore': '.stack/\n' };
    const { upstream, follower } = makeRemoteSetup(files);
    stackDirs.push(follower);
    const loop = stackAsync(['sync', '--interval', '100ms'], { cwd: follower, env: GIT_ENV });
    try {
      // Whether the push lands before the first pass or after it, some pass must apply it.
      commitFiles(upstream, { 'stack.yaml': files['stack.yaml'].replace('    command', '    state: running\n    command') }, 'touch web');
      gitIn(upstream, 'push', '--quiet', 'origin', 'main');
      await waitFor(() => processesWith(`sleep ${m}`).length === 1, 20_000, 'sync to start web');
    } finally {
      loop.child.kill('SIGTERM');
    }
    const result = await loop.done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Following origin/main every 100ms');
    expect(result.stdout).toContain('The stack changed (stack.yaml): reconciling.');
  });
});
