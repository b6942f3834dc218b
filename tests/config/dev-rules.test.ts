// watch:, build: and restartWith: (issue 31): how they resolve, and what stack says where they do not fit.
import { describe, expect, it } from 'vitest';
import { issueLines, load, yaml } from './helpers.js';

const stack = (...lines: string[]) => load(yaml('version: 1', 'services:', ...lines));

describe('watch, build and restartWith', () => {
  it('resolves the short form and the long one; build is split like command', () => {
    const loaded = stack(
      '  web: { command: [node, dist/app.js], watch: ["src/**"], build: "npm run build" }',
      '  api: { command: [api], watch: { paths: [lib/**], ignore: ["**/*.test.ts"], gitignore: false, debounce: 250ms }, restartWith: [web] }',
    );
    expect(issueLines(loaded)).toEqual([]);
    const [web, api] = loaded.desired?.services ?? [];
    expect(web?.dev).toEqual({ paths: ['src/**'], ignore: [], gitignore: true, debounceMs: 100, build: ['npm', 'run', 'build'] });
    expect(api?.dev).toEqual({ paths: ['lib/**'], ignore: ['**/*.test.ts'], gitignore: false, debounceMs: 250 });
    expect(api?.restartWith).toEqual(['web']);
  });

  it('says where one does not fit, with its line and column', () => {
    const loaded = stack(
      '  web: { command: [web], build: "make" }',
      '  api: { command: [api], watch: [src/**], build: "make | tee log", restartWith: [api, nope, db] }',
      '  db: { command: [db] }',
      '  ui: { compose: { file: compose.yaml }, watch: [ui/**], build: "npm run build" }',
      '  bad: { command: [x], watch: { paths: [], debounce: soon } }',
    );
    expect(issueLines(loaded)).toEqual([
      '3:26 build runs when a watched file changes, and "web" has no watch:',
      '4:43 build: command uses the shell operator "|"; write it as a list of arguments or set shell: true',
      '4:82 "api" cannot restart with itself',
      '4:87 "nope" is not a service in this file',
      '4:93 "db" has no watch:, so nothing restarts it for "api" to follow',
      '6:58 a compose service is rebuilt from its compose file (docker compose build), not by build:',
      '7:33 watch needs at least one glob',
      '7:44 expected a duration like 500ms, 10s, 2m or 1h, got "soon"',
    ]);
  });

  it('refuses a glob rooted at the filesystem itself, in either form, and says which provider kinds can be watched', () => {
    const loaded = stack(
      '  a: { command: [a], watch: ["/**"] }',
      '  b: { command: [b], watch: { paths: [src/**, "/*.conf"] } }',
      '  c: { command: [c], watch: ["/etc/nginx/**"] }',
      '  d: { exec: { start: [d], stop: [d], status: [d] }, watch: [src/**] }',
    );
    expect(issueLines(loaded)).toEqual([
      '3:30 "/**" would watch every file on this machine',
      '4:47 "/*.conf" would watch every file on this machine',
      '6:54 watch applies to process and compose services; "d" is an exec service',
    ]);
  });
});
