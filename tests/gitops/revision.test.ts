import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { locateInRepo, showFileAt } from '../../src/gitops/git.js';
import { loadStackAtRevision } from '../../src/gitops/load-at-revision.js';
import { compareDesired } from '../../src/reconcile/compare-desired.js';
import { commitFiles, gitIn, makeRepo, removeTempFolders, writeFiles } from '../support/git-repo.js';

afterEach(removeTempFolders);

const STACK = (level: string) => `version: 1\nservices:\n  bot:\n    command: node bot.js\n    envFile: ./bot.env\n    env: { LEVEL: ${level} }\n`;

describe('stack.yaml at a revision', () => {
  it('is found from a subfolder and read from git without touching the work tree', async () => {
    const repo = makeRepo({ 'deploy/stack.yaml': STACK('info'), 'deploy/bot.env': 'SECRET_KEY=one\nPORT=1\n' });
    const first = gitIn(repo, 'rev-parse', 'HEAD');
    commitFiles(repo, { 'deploy/stack.yaml': STACK('debug'), 'deploy/bot.env': 'SECRET_KEY=two\nPORT=2\n' }, 'second');
    writeFiles(repo, { 'deploy/stack.yaml': STACK('trace') });
    const before = statSync(join(repo, 'deploy/stack.yaml')).mtimeMs;

    const located = await locateInRepo(join(repo, 'deploy', 'stack.yaml'));
    expect(located.path).toBe('deploy/stack.yaml');
    expect(await showFileAt(first, located.path, { cwd: located.top })).toBe(STACK('info'));
    expect(await showFileAt(first, 'deploy/nope.yaml', { cwd: located.top })).toBeUndefined();

    const old = await loadStackAtRevision(located, first, { env: {} });
    const head = await loadStackAtRevision(located, 'HEAD', { env: {} });
    expect(old.label).toBe(first.slice(0, 12));
    expect(head.label).toMatch(/^HEAD \([0-9a-f]{7}\)$/);
    // The env file's contents came from each revision.
    const changes = compareDesired(old, head).services[0]?.fields.map((field) => field.field);
    expect(changes).toEqual(['env.LEVEL', 'env.PORT', 'env.SECRET_KEY']);
    expect(readFileSync(join(repo, 'deploy/stack.yaml'), 'utf8')).toBe(STACK('trace'));
    expect(statSync(join(repo, 'deploy/stack.yaml')).mtimeMs).toBe(before);
    expect(gitIn(repo, 'status', '--porcelain')).toBe('M deploy/stack.yaml');
  });

  it("reads auto named ports as the working tree's stack keeps them, and writes none", async () => {
    const named = (level: string) => `version: 1\nservices:\n  bot:\n    command: node bot.js \${ports.bot.http}\n    ports: { http: auto }\n    env: { LEVEL: ${level} }\n`;
    const repo = makeRepo({ 'stack.yaml': named('info'), '.gitignore': '.stack/\n' });
    const first = gitIn(repo, 'rev-parse', 'HEAD');
    commitFiles(repo, { 'stack.yaml': named('debug') }, 'second');
    mkdirSync(join(repo, '.stack'));
    writeFileSync(join(repo, '.stack', 'ports.json'), JSON.stringify({ formatVersion: 1, folder: realpathSync(repo), ports: { 'bot.http': 41234 } }));
    const located = await locateInRepo(join(repo, 'stack.yaml'));
    const [old, head] = [await loadStackAtRevision(located, first, { env: {} }), await loadStackAtRevision(located, 'HEAD', { env: {} })];
    expect(old.desired?.services[0]?.namedPorts).toEqual({ http: 41234 });
    expect(compareDesired(old, head).services[0]?.fields.map((field) => field.field)).toEqual(['env.LEVEL']);
    rmSync(join(repo, '.stack'), { recursive: true });
    await loadStackAtRevision(located, 'HEAD', { env: {} });
    expect(existsSync(join(repo, '.stack'))).toBe(false);
  });

  it('is absent before the file was added, and names unknown revisions', async () => {
    const repo = makeRepo({ 'README.md': 'hi\n' });
    commitFiles(repo, { 'stack.yaml': STACK('info'), 'bot.env': 'A=1\n' }, 'add stack');
    const located = await locateInRepo(join(repo, 'stack.yaml'));
    const missing = await loadStackAtRevision(located, 'HEAD~1', { env: {} });
    expect(missing.desired).toBeUndefined();
    expect(missing.label).toMatch(/without stack\.yaml$/);
    await expect(loadStackAtRevision(located, 'no-such-branch', { env: {} })).rejects.toMatchObject({ code: 1, message: 'unknown revision "no-such-branch"' });
  });

  it('is invalid (exit 5) when that revision was, naming the revision in positions', async () => {
    const repo = makeRepo({ 'stack.yaml': 'version: 1\nservices:\n  bot: { comand: x }\n' });
    commitFiles(repo, { 'stack.yaml': STACK('info'), 'bot.env': 'A=1\n' }, 'fix');
    const located = await locateInRepo(join(repo, 'stack.yaml'));
    await expect(loadStackAtRevision(located, 'HEAD~1', { env: {} })).rejects.toMatchObject({ code: 5, position: { file: 'HEAD~1:stack.yaml', line: 3 } });
  });

  it('reads an env file and a .env that git does not track (ignored, as secrets are) from disk: the same on both sides', async () => {
    const stackOf = (level: string) => `version: 1\nservices:\n  bot:\n    command: [node, "\${ENTRY:?set in .env}"]\n    envFile: ./bot.env\n    env: { LEVEL: ${level} }\n`;
    const repo = makeRepo({ 'deploy/stack.yaml': stackOf('info'), '.gitignore': '.env\nbot.env\n' });
    writeFiles(repo, { 'deploy/.env': 'ENTRY=bot.js\n', 'deploy/bot.env': 'SECRET_KEY=one\n' });
    commitFiles(repo, { 'deploy/stack.yaml': stackOf('debug') }, 'second');
    const located = await locateInRepo(join(repo, 'deploy', 'stack.yaml'));
    const [old, head] = [await loadStackAtRevision(located, 'HEAD~1', { env: {} }), await loadStackAtRevision(located, 'HEAD', { env: {} })];
    expect(head.desired?.services[0]?.process?.env).toMatchObject({ SECRET_KEY: 'one', LEVEL: 'debug' });
    expect(head.desired?.services[0]?.process?.argv).toEqual(['node', 'bot.js']);
    expect(compareDesired(old, head).services[0]?.fields.map((field) => field.field)).toEqual(['env.LEVEL']);
    // One git tracks is read at the revision alone: absent there, it is absent.
    gitIn(repo, 'add', '--force', 'deploy/bot.env');
    gitIn(repo, 'commit', '--quiet', '-m', 'track bot.env');
    await expect(loadStackAtRevision(located, 'HEAD~1', { env: {} })).rejects.toMatchObject({ code: 5 });
  });

  it("names a broken line of that revision's .env by the revision and the .env's own path", async () => {
    const repo = makeRepo({ 'deploy/stack.yaml': 'version: 1\nservices:\n  bot: { command: [node, "${ENTRY:-bot.js}"] }\n', 'deploy/.env': 'ENTRY=bot.js\nPORT 8080\n' });
    const located = await locateInRepo(join(repo, 'deploy', 'stack.yaml'));
    await expect(loadStackAtRevision(located, 'HEAD', { env: {} })).rejects.toMatchObject({
      code: 5,
      issues: [{ position: { file: 'HEAD:deploy/.env', line: 2, column: 1 }, message: 'this line ("PORT" …) is not NAME=value, so it would set nothing' }],
    });
  });

  it('refuses a folder outside any repository', async () => {
    const { tempFolder } = await import('../support/git-repo.js');
    const dir = tempFolder();
    await expect(locateInRepo(join(dir, 'stack.yaml'))).rejects.toMatchObject({ code: 1, message: expect.stringContaining('is not in a git repository') });
  });
});
