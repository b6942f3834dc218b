import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { syncOnce } from '../../src/gitops/sync.js';
import { commitFiles, gitIn, makeRemoteSetup, removeTempFolders, writeFiles } from '../support/git-repo.js';

afterEach(removeTempFolders);

const STACK = (command: string) =>
  `version: 1\nservices:\n  web:\n    command: ${command}\n    envFile: ./web.env\n  hello:\n    plugin: ./plugins/hello\n`;

function setup() {
  const files = { 'ops/stack.yaml': STACK('sleep 1'), 'ops/web.env': 'A=1\n', 'ops/plugins/hello/plugin.yaml': 'name: hello\nlifecycle: { start: "true", stop: "true" }\n', 'docs/readme.md': 'x\n' };
  const { upstream, follower } = makeRemoteSetup(files);
  const push = (changes: Record<string, string>, message: string) => {
    commitFiles(upstream, changes, message);
    gitIn(upstream, 'push', '--quiet', 'origin', 'main');
  };
  const settings = { file: join(follower, 'ops', 'stack.yaml'), remote: 'origin', branch: 'main' };
  return { upstream, follower, push, settings };
}

describe('stack sync, one pass', () => {
  it('is up to date when the remote did not move', async () => {
    const { follower, settings } = setup();
    expect(await syncOnce(settings)).toEqual({ kind: 'up-to-date', commit: gitIn(follower, 'rev-parse', 'HEAD') });
  });

  it('fast-forwards and names the stack files a pull touched', async () => {
    const { follower, push, settings } = setup();
    push({ 'ops/stack.yaml': STACK('sleep 2') }, 'change web');
    push({ 'ops/web.env': 'A=2\n', 'ops/plugins/hello/start.sh': 'echo\n', 'docs/readme.md': 'y\n' }, 'env, plugin and docs');
    const outcome = await syncOnce(settings);
    expect(outcome).toMatchObject({ kind: 'fast-forwarded', commits: 2 });
    const touched = outcome.kind === 'fast-forwarded' ? outcome.stackFiles.map((path) => path.slice(follower.length + 1)).sort() : [];
    expect(touched).toEqual(['ops/plugins/hello/start.sh', 'ops/stack.yaml', 'ops/web.env']);
    expect(readFileSync(settings.file, 'utf8')).toBe(STACK('sleep 2'));
  });

  it('reports a pull that touched nothing of the stack', async () => {
    const { push, settings } = setup();
    push({ 'docs/readme.md': 'z\n' }, 'docs only');
    expect(await syncOnce(settings)).toMatchObject({ kind: 'fast-forwarded', commits: 1, stackFiles: [] });
  });

  it('refuses a divergence, and never merges or resets', async () => {
    const { follower, push, settings } = setup();
    push({ 'ops/stack.yaml': STACK('sleep 3') }, 'theirs');
    const mine = commitFiles(follower, { 'docs/mine.md': 'local\n' }, 'mine');
    const outcome = await syncOnce(settings);
    expect(outcome).toMatchObject({ kind: 'refused', reason: 'main and origin/main have diverged (1 local and 1 remote commit)' });
    expect(gitIn(follower, 'rev-parse', 'HEAD')).toBe(mine);
    expect(readFileSync(settings.file, 'utf8')).toBe(STACK('sleep 1'));
  });

  it('refuses local changes, another branch and a detached HEAD; is content being ahead', async () => {
    const { follower, push, settings } = setup();
    push({ 'ops/stack.yaml': STACK('sleep 4') }, 'theirs');
    writeFiles(follower, { 'ops/stack.yaml': STACK('sleep 9') });
    expect(await syncOnce(settings)).toMatchObject({ kind: 'refused', reason: 'the work tree has local changes (M ops/stack.yaml)' });
    gitIn(follower, 'checkout', '--quiet', '--', '.');
    gitIn(follower, 'switch', '--quiet', '-c', 'other');
    expect(await syncOnce(settings)).toMatchObject({ kind: 'refused', reason: 'the work tree is on branch other, not main' });
    gitIn(follower, 'switch', '--quiet', '--detach', 'main');
    expect(await syncOnce(settings)).toMatchObject({ kind: 'refused', reason: 'HEAD is detached' });
    gitIn(follower, 'switch', '--quiet', 'main');
    expect(await syncOnce(settings)).toMatchObject({ kind: 'fast-forwarded' });
    commitFiles(follower, { 'docs/mine.md': 'local\n' }, 'mine');
    expect(await syncOnce(settings)).toEqual({ kind: 'ahead', commits: 1 });
  });
});
