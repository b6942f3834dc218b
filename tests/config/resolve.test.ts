import { describe, expect, it } from 'vitest';
import { projectNameFor } from '../../src/config/resolve.js';
import type { DesiredService } from '../../src/model/desired.js';
import { issueLines, load, yaml } from './helpers.js';

function services(text: string, envFileTexts: ReadonlyMap<string, string> = new Map()): DesiredService[] {
  const loaded = load(text, envFileTexts);
  expect(loaded.issues).toEqual([]);
  return loaded.desired?.services ?? [];
}
const only = (text: string, envFileTexts?: ReadonlyMap<string, string>) => services(text, envFileTexts)[0] as DesiredService;

describe('resolveStack', () => {
  it('gives an undeclared service the built-in defaults', () => {
    const web = only(yaml('version: 1', 'services:', '  web: { command: node app.js }'));
    expect(web).toEqual({
      name: 'web',
      index: 0,
      provider: 'process',
      enabled: true,
      state: 'running',
      dependsOn: [],
      ports: [],
      start: { settleMs: 100 },
      stop: { signal: 'SIGTERM', timeoutMs: 10_000 },
      restart: { policy: 'on-failure', maxRestarts: 5, backoff: { initialMs: 500, maxMs: 30_000, resetMs: 10_000 } },
      logs: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 3 },
      sensitive: [],
      position: { file: 'stack.yaml', line: 3, column: 3 },
      process: { argv: ['node', 'app.js'], shell: false, cwd: '/home/ada/devstack', env: {}, envFiles: [] },
      providerSpec: { values: { command: 'node app.js', shell: 'false', cwd: '/home/ada/devstack', envFiles: '[]' }, install: [], files: 'files' },
    });
  });

  it('merges defaults deeply, service keys winning', () => {
    const web = only(
      yaml(
        'version: 1',
        'defaults:',
        '  start: { settle: 0ms }',
        '  stop: { signal: SIGINT, timeout: 3s }',
        '  restart: { policy: always, backoff: { initial: 1s, max: 1m } }',
        '  logs: { maxSize: 1MB }',
        'services:',
        '  web:',
        '    command: x',
        '    stop: { timeout: 250ms }',
        '    restart: { maxRestarts: 0, backoff: { max: 2m } }',
        '    logs: { maxFiles: 7 }',
      ),
    );
    expect(web.start).toEqual({ settleMs: 0 });
    expect(web.stop).toEqual({ signal: 'SIGINT', timeoutMs: 250, timeoutWritten: true });
    expect(web.restart).toEqual({ policy: 'always', maxRestarts: 0, backoff: { initialMs: 1000, maxMs: 120_000, resetMs: 10_000 } });
    expect(web.logs).toEqual({ maxSizeBytes: 1_000_000, maxFiles: 7 });
  });

  it('resolves probes with their defaults', () => {
    const web = only(
      yaml('version: 1', 'services:', '  web:', '    command: x', '    ready: { tcp: "0.0.0.0:4222" }', '    health: { exec: "check --quick", interval: 1h }'),
    );
    expect(web.ready).toEqual({ check: { kind: 'tcp', host: '0.0.0.0', port: 4222 }, timeoutMs: 30_000, intervalMs: 250, failureThreshold: 1 });
    expect(web.health).toEqual({ check: { kind: 'exec', argv: ['check', '--quick'] }, timeoutMs: 5000, intervalMs: 3_600_000, failureThreshold: 3 });
    const api = only(yaml('version: 1', 'services:', '  api: { command: x, ready: { tcp: 80 }, health: { http: "http://127.0.0.1/health" } }'));
    expect(api.ready?.check).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 80 });
    expect(api.health?.check).toEqual({ kind: 'http', url: 'http://127.0.0.1/health' });
  });

  it('resolves paths against the folder of stack.yaml', () => {
    const [bot, db, mem] = services(
      yaml(
        'version: 1',
        'project: dev',
        'services:',
        '  bot: { command: [node, bot.js], cwd: ./bot/../bot/src, ports: [4222, "127.0.0.1:81"], dependsOn: [db, db] }',
        '  db: { compose: { file: ./db/compose.yml, services: [pg], wait: true, env: { PORT: 5432 } }, state: stopped }',
        '  mem: { plugin: /opt/plugins/mem, enabled: false }',
      ),
    );
    expect(bot?.process?.cwd).toBe('/home/ada/devstack/bot/src');
    expect(bot?.ports).toEqual([{ port: 4222 }, { host: '127.0.0.1', port: 81 }]);
    expect(bot?.dependsOn).toEqual(['db']);
    expect(db).toMatchObject({ provider: 'compose', state: 'stopped', index: 1 });
    expect(db?.compose).toEqual({
      file: '/home/ada/devstack/db/compose.yml',
      project: 'dev-db',
      services: ['pg'],
      profiles: [],
      scale: {},
      wait: true,
      env: { PORT: '5432' },
    });
    expect(mem).toMatchObject({ provider: 'plugin', enabled: false, plugin: { dir: '/opt/plugins/mem' } });
  });

  it('merges env files in order, then env, and marks file keys sensitive', () => {
    const texts = new Map([
      ['/home/ada/devstack/base.env', 'A=base\nB=base\nTOKEN=s3cret\n'],
      ['/home/ada/devstack/bot/.env', 'B=bot\n'],
    ]);
    const bot = only(
      yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [base.env, ./bot/.env]', '    env: { A: 1, DEBUG: true }', '    sensitive: [A]'),
      texts,
    );
    expect(bot.process?.env).toEqual({ A: '1', B: 'bot', TOKEN: 's3cret', DEBUG: 'true' });
    expect(bot.process?.envFiles).toEqual(['/home/ada/devstack/base.env', '/home/ada/devstack/bot/.env']);
    expect(bot.sensitive).toEqual(['A', 'B', 'TOKEN']);
  });

  it('reports an env file that was not read, at its key', () => {
    const loaded = load(yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: ./x.env'));
    expect(issueLines(loaded)).toEqual(['5:5 env file ./x.env not found']);
    expect(loaded.issues[0]?.hint).toBe('looked for /home/ada/devstack/x.env');
    expect(loaded.envFilesWanted).toEqual(['/home/ada/devstack/x.env']);
    expect(loaded.desired).toBeUndefined();
    const listed = load(yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [a.env, b.env]'), new Map([['/home/ada/devstack/a.env', '']]));
    expect(issueLines(listed)).toEqual(['5:22 env file b.env not found']);
  });

  it('refuses a line of an env file that sets nothing, which dotenv would skip without a word', () => {
    const text = [
      '# a comment',
      'OK=1',
      'API KEY=oops',
      '  ',
      'MULTI="first',
      'second line, not an assignment',
      'last"',
      "SINGLE='it''s'",
      'ESCAPED="a \\" quote"',
      'export EXPORTED=yes',
      'COLON: value',
      'JUST_A_NAME',
      '[section]',
      'DB_PASSWORD hunter2',
      'ghp_Tok3nPastedAloneWithoutItsName0123456789',
      'ghp_Tok3nFollowedByMore0123456789 # the bot token',
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc rest',
      'aB3dE5gH7jK9mN1pQ3sT5 x',
      'a8f3c9d2e7b1f4a6c5d9e2b7 y',
      'xoxbtokenwithoutanyunderscoreatall y',
    ].join('\n');
    const loaded = load(yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [app.env]'), new Map([['/home/ada/devstack/app.env', text]]));
    expect(issueLines(loaded)).toEqual([
      '5:15 env file app.env, line 3 ("API" …) is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 12 is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 13 is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 14 ("DB_PASSWORD" …) is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 15 is not NAME=value, so it would set nothing',
      // A first word that reads like a token (a known prefix, mixed case, digits, a long run) is not shown.
      '5:15 env file app.env, line 16 is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 17 is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 18 is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 19 is not NAME=value, so it would set nothing',
      '5:15 env file app.env, line 20 is not NAME=value, so it would set nothing',
    ]);
    const fixed = load(yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [app.env]'), new Map([['/home/ada/devstack/app.env', text.split('\n').filter((_, i) => ![2, 11, 12, 13, 14, 15, 16, 17, 18, 19].includes(i)).join('\n')]]));
    expect(issueLines(fixed)).toEqual([]);
    expect(fixed.desired?.services[0]?.process?.env).toMatchObject({ OK: '1', MULTI: 'first\nsecond line, not an assignment\nlast', EXPORTED: 'yes', COLON: 'value' });
    // What follows a line's first word may be a secret: it is never shown.
    expect(JSON.stringify(loaded.issues)).not.toContain('hunter2');
    expect(JSON.stringify(loaded.issues)).not.toContain('Tok3n');
    for (const piece of ['sk_live', 'aB3dE5', 'a8f3c9', 'xoxbtoken']) expect(JSON.stringify(loaded.issues)).not.toContain(piece);
  });

  it('does not quote a dotenv name that reads like a token either', () => {
    const texts = new Map([['/home/ada/devstack/bad.env', 'ghp_Tok3nAsAName.x=1\nA.B=y\n']]);
    const loaded = load(yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [bad.env]'), texts);
    expect(issueLines(loaded)).toEqual([
      '5:15 env file bad.env sets a name that is not allowed (not shown: it reads like a secret): use letters, digits and "_", not starting with a digit',
      '5:15 env file bad.env sets "A.B", which is not allowed: use letters, digits and "_", not starting with a digit',
    ]);
  });

  it('refuses env names in env files that env: refuses, at the env file', () => {
    const texts = new Map([['/home/ada/devstack/bad.env', 'OK=1\nlower=2\n1X=z\nA.B=y\nA-B=x\n']]);
    const loaded = load(yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [bad.env]'), texts);
    expect(issueLines(loaded)).toEqual([
      '5:15 env file bad.env sets "1X", which is not allowed: use letters, digits and "_", not starting with a digit',
      '5:15 env file bad.env sets "A.B", which is not allowed: use letters, digits and "_", not starting with a digit',
      '5:15 env file bad.env sets "A-B", which is not allowed: use letters, digits and "_", not starting with a digit',
    ]);
  });

  it('keeps manifest order, even for names JS objects would reorder', () => {
    const names = services(yaml('version: 1', 'services:', '  zeta: { command: x }', '  "10": { command: x }', '  alpha: { command: x }', '  "2": { command: x }'));
    expect(names.map((service) => [service.name, service.index])).toEqual([['zeta', 0], ['10', 1], ['alpha', 2], ['2', 3]]);
  });

  it('names the project after its folder when none is declared', () => {
    expect(load(yaml('version: 1', 'services: {}')).desired?.project).toBe('devstack');
    expect(projectNameFor('/home/ada/My Cool.Stack')).toBe('my-cool-stack');
    expect(projectNameFor('/home/ada/__x')).toBe('x');
    expect(projectNameFor('/')).toBe('stack');
  });
});
