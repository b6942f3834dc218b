import { describe, expect, it } from 'vitest';
import { loadStackText } from '../../src/config/load.js';
import type { FolderState } from '../../src/config/folders.js';
import { FILE, issueLines, yaml } from './helpers.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const text = yaml(
  'version: 1',
  'services:',
  '  a: { command: x, cwd: ./web }',
  '  b: { command: x, cwd: /srv/data }',
  '  c: { command: x, cwd: ./old, enabled: false }',
  '  d: { command: x, cwd: ./web }',
);
const loadWith = (folders?: ReadonlyMap<string, FolderState>) =>
  loadStackText(text, FILE, new Map(), { providers: PROVIDERS, displayFile: 'stack.yaml', ...(folders ? { folders } : {}) });

describe('working folders', () => {
  it("names each enabled service's cwd once, absolute, for the reading step to look at", () => {
    expect(loadWith().foldersWanted).toEqual(['/home/ada/devstack/web', '/srv/data']);
  });

  it('reports a cwd found missing or not a folder, at the cwd, with where it looked', () => {
    const loaded = loadWith(new Map<string, FolderState>([['/home/ada/devstack/web', 'missing'], ['/srv/data', 'not-a-folder']]));
    expect(issueLines(loaded)).toEqual([
      '3:20 working folder ./web does not exist',
      '4:20 working folder /srv/data is not a folder',
      '6:20 working folder ./web does not exist',
    ]);
    expect(loaded.issues[0]?.hint).toBe('looked for /home/ada/devstack/web; create it, or fix cwd');
  });

  it('judges no folder it was told nothing of (a stack read from git)', () => {
    expect(loadWith().issues).toEqual([]);
    expect(loadWith(new Map([['/srv/data', 'folder' as const]])).issues).toEqual([]);
  });
});

describe('secrets in the issues of a file that did not load', () => {
  it('a secret written in the file (a sensitive env value) in a missing cwd is shown as (sensitive)', () => {
    const broken = yaml('version: 1', 'services:', '  a:', '    command: x', '    cwd: ./run-hunter22', '    env: { DB_PASSWORD: hunter22 }');
    const loaded = loadStackText(broken, FILE, new Map(), { providers: PROVIDERS, displayFile: 'stack.yaml', folders: new Map([['/home/ada/devstack/run-hunter22', 'missing']]) });
    expect(issueLines(loaded)).toEqual(['5:5 working folder ./run-(sensitive) does not exist']);
    expect(loaded.issues[0]?.hint).not.toContain('hunter22');
  });
});

describe('every issue at once', () => {
  it('reports an env file not found and a missing folder beside schema and dependency issues', () => {
    const broken = yaml('version: 1', 'services:', '  a:', '    comand: x', '    command: x', '    cwd: ./web', '    envFile: ./a.env', '    dependsOn: [ghost]');
    const loaded = loadStackText(broken, FILE, new Map(), { providers: PROVIDERS, displayFile: 'stack.yaml', folders: new Map([['/home/ada/devstack/web', 'missing']]) });
    expect(issueLines(loaded)).toEqual([
      '4:5 unknown key "comand" (did you mean "command"?)',
      '6:5 working folder ./web does not exist',
      '7:5 env file ./a.env not found',
      '8:17 service "a" depends on "ghost", which is not a service in this file',
    ]);
  });
});
