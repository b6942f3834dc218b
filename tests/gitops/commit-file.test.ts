import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitFile, prepareCommit } from '../../src/gitops/commit-file.js';
import { gitIn, makeRepo, removeTempFolders, touchedBy, writeFiles } from '../support/git-repo.js';

afterEach(removeTempFolders);

const STACK = 'version: 1\nservices:\n  web: { command: sleep 1 }\n';

describe('committing stack.yaml alone', () => {
  it('makes one commit touching only stack.yaml, whatever else is staged or modified', async () => {
    const repo = makeRepo({ 'app/stack.yaml': STACK, 'app/other.txt': 'a\n' });
    const file = join(repo, 'app', 'stack.yaml');
    writeFiles(repo, { 'app/other.txt': 'b\n', 'app/staged.txt': 'c\n' });
    gitIn(repo, 'add', 'app/staged.txt');
    const target = await prepareCommit(file, {});
    writeFiles(repo, { 'app/stack.yaml': STACK.replace('sleep 1', 'sleep 2') });
    const before = gitIn(repo, 'rev-parse', 'HEAD');
    const commit = await commitFile(target, 'stack: stop web');
    expect(gitIn(repo, 'rev-list', '--count', `${before}..HEAD`)).toBe('1');
    expect(gitIn(repo, 'rev-parse', 'HEAD')).toBe(commit);
    expect(touchedBy(repo)).toEqual(['app/stack.yaml']);
    expect(gitIn(repo, 'log', '-1', '--format=%s')).toBe('stack: stop web');
    expect(gitIn(repo, 'status', '--porcelain').split('\n')).toEqual(['M app/other.txt', 'A  app/staged.txt']);
  });

  it('refuses when stack.yaml already had uncommitted changes, unless forced', async () => {
    const repo = makeRepo({ 'stack.yaml': STACK });
    const file = join(repo, 'stack.yaml');
    writeFiles(repo, { 'stack.yaml': `${STACK}# mine\n` });
    await expect(prepareCommit(file, {})).rejects.toMatchObject({ code: 1, message: expect.stringContaining('stack.yaml has uncommitted changes (M stack.yaml)') });
    const target = await prepareCommit(file, { force: true });
    await commitFile(target, 'stack: both');
    expect(gitIn(repo, 'show', 'HEAD:stack.yaml')).toContain('# mine');
  });

  it('adds a stack.yaml git does not know yet only with --force', async () => {
    const repo = makeRepo({ 'README.md': 'x\n' });
    writeFiles(repo, { 'stack.yaml': STACK });
    const file = join(repo, 'stack.yaml');
    await expect(prepareCommit(file, {})).rejects.toMatchObject({ message: expect.stringContaining('is not committed yet') });
    await commitFile(await prepareCommit(file, { force: true }), 'stack: start');
    expect(touchedBy(repo)).toEqual(['stack.yaml']);
  });
});
