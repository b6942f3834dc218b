import { describe, expect, it } from 'vitest';
import { interpolateString } from '../../src/config/interpolate.js';
import { loadStackText } from '../../src/config/load.js';
import { FILE, issueLines, yaml } from './helpers.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const vars: Record<string, string> = { USER: 'ada', EMPTY: '', PORT: '8080' };
const lookup = (name: string) => vars[name];
const value = (text: string) => interpolateString(text, lookup);

describe('interpolateString', () => {
  it('reads ${ports.<service>.<name>} as one name, and only in braces', () => {
    const values: Record<string, string> = { 'ports.web.http': '41234', 'ports.my-api.0.http': '5000', ports: 'P' };
    const lookup = (name: string) => values[name];
    expect(interpolateString('x ${ports.web.http} y', lookup)).toMatchObject({ value: 'x 41234 y', used: ['ports.web.http'] });
    expect(interpolateString('${ports.my-api.0.http}', lookup).value).toBe('5000');
    expect(interpolateString('$ports.web.http ${ports}', lookup).value).toBe('P.web.http P');
    expect(interpolateString('${ports.web.nope}', lookup)).toMatchObject({ value: '', unset: ['ports.web.nope'] });
  });

  it.each([
    ['${USER}', 'ada'],
    ['$USER', 'ada'],
    ['$USER.log', 'ada.log'],
    ['${MISSING}', ''],
    ['${USER:-x}', 'ada'],
    ['${EMPTY:-x}', 'x'],
    ['${MISSING:-x}', 'x'],
    ['${EMPTY-x}', ''],
    ['${MISSING-x}', 'x'],
    ['${USER:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${MISSING+set}', ''],
    ['${MISSING:-${USER}}', 'ada'],
    ['${MISSING:-a ${MISSING2:-b} c}', 'a b c'],
    ['${MISSING:-}', ''],
    ['$$', '$'],
    ['$${USER}', '${USER}'],
    ['$$$USER', '$ada'],
    ['a$', 'a$'],
    ['^ready$', '^ready$'],
    ['cost: $5', 'cost: $5'],
    ['http://${HOST:-localhost}:${PORT}/x', 'http://localhost:8080/x'],
  ])('%j → %j', (text, expected) => {
    const result = value(text);
    expect(result.errors).toEqual([]);
    expect(result.value).toBe(expected);
  });

  it('reports a required variable that is unset (and, with a colon, empty), with its message', () => {
    expect(value('${MISSING:?set it first}').errors).toEqual([{ kind: 'required', name: 'MISSING', message: 'set it first' }]);
    expect(value('${EMPTY:?}').errors).toEqual([{ kind: 'required', name: 'EMPTY', message: '' }]);
    expect(value('${EMPTY?}').errors).toEqual([]);
    expect(value('${USER:?no}')).toEqual({ value: 'ada', used: ['USER'], unset: [], errors: [] });
  });

  it('evaluates a default only when it is used', () => {
    expect(value('${USER:-${MISSING:?never}}')).toEqual({ value: 'ada', used: ['USER'], unset: [], errors: [] });
    expect(value('${MISSING:-${OTHER:?needed}}').errors).toEqual([{ kind: 'required', name: 'OTHER', message: 'needed' }]);
  });

  it('records the variables used, once each', () => {
    expect(value('$USER ${USER} ${PORT:-1} ${MISSING:-x}').used).toEqual(['USER', 'PORT']);
  });

  it('notes bare variables that are not set (they become empty), never those an operator or $$ deals with', () => {
    expect(value('sh -c "i=0; echo $i ${i} $MISSING"').unset).toEqual(['i', 'MISSING']);
    expect(value('$$i ${i:-0} ${i-0} ${i:+x} ${i+x} ${EMPTY} $USER').unset).toEqual([]);
    // Only where the text is used: an unused default is not looked at.
    expect(value('${USER:-$i}').unset).toEqual([]);
    expect(value('${MISSING:-$i}').unset).toEqual(['i']);
  });

  it.each([['${}'], ['${1A}'], ['${USER'], ['${USER:x}'], ['${A B}'], ['${MISSING:-unclosed']])('reports bad syntax in %j', (text) => {
    const result = value(text);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.kind).toBe('syntax');
  });
});

describe('interpolation in stack.yaml', () => {
  const load = (text: string, env: Record<string, string> = {}, dotEnvText?: string) =>
    loadStackText(text, FILE, new Map([['/home/ada/devstack/bot.env', 'FROM_FILE=file\nLEVEL=file\n']]), { providers: PROVIDERS,
      displayFile: 'stack.yaml',
      env,
      ...(dotEnvText === undefined ? {} : { dotEnvText }),
    });

  it('interpolates string values from the caller environment: command, env, cwd, ports', () => {
    const loaded = load(
      yaml(
        'version: 1',
        'services:',
        '  web:',
        '    command: node server.js --port ${PORT:-3000} --user $USER',
        '    cwd: ./${APP:-web}',
        '    env: { URL: "http://${HOST:-localhost}:${PORT:-3000}", PRICE: "$$5" }',
        '    ports: ["${PORT:-3000}"]',
      ),
      { PORT: '8080', USER: 'ada' },
    );
    expect(loaded.issues).toEqual([]);
    const web = loaded.desired?.services[0];
    expect(web?.process?.argv).toEqual(['node', 'server.js', '--port', '8080', '--user', 'ada']);
    expect(web?.process?.cwd).toBe('/home/ada/devstack/web');
    expect(web?.process?.env).toEqual({ URL: 'http://localhost:8080', PRICE: '$5' });
    expect(web?.ports).toEqual([{ port: 8080 }]);
  });

  it('keeps $$ as a literal $ in commands, for the shell or the program', () => {
    const loaded = load(yaml('version: 1', 'services:', '  a:', '    command: echo $$HOME', '  b:', '    command: echo $$HOME', '    shell: true'));
    expect(loaded.desired?.services.map((service) => service.process?.argv)).toEqual([
      ['echo', '$HOME'],
      ['/bin/sh', '-c', 'echo $HOME'],
    ]);
  });

  it('a missing ${X:?} names X, the service and the line:col of the value', () => {
    const loaded = load(yaml('version: 1', 'services:', '  api:', '    command: node api.js', '    env:', '      TOKEN: "${API_TOKEN:?get one from the vault}"'));
    expect(loaded.desired).toBeUndefined();
    expect(issueLines(loaded)).toEqual(['6:14 variable API_TOKEN is required by service "api" but is not set: get one from the vault']);
    expect(loaded.issues[0]?.path).toBe('services.api.env.TOKEN');
    expect(loaded.issues[0]?.position?.file).toBe('stack.yaml');
    expect(loaded.missingVariables.map((missing) => [missing.name, missing.service])).toEqual([['API_TOKEN', 'api']]);
  });

  it('reports every problem at once, syntax errors included', () => {
    const loaded = load(yaml('version: 1', 'services:', '  a:', '    command: [x, "${A:?}"]', '  b:', '    command: x ${B', '    ports: [nope]'));
    expect(issueLines(loaded)).toEqual([
      '4:18 variable A is required by service "a" but is not set',
      '6:14 invalid interpolation "${B": it is never closed with "}"',
      '7:13 expected a port (1-65535) or "host:port", got "nope"',
    ]);
  });

  it('with requireVariables: false, lists missing variables without failing', () => {
    const loaded = loadStackText(yaml('version: 1', 'services:', '  a:', '    command: [x, "${A:?}"]'), FILE, new Map(), { providers: PROVIDERS, env: {}, requireVariables: false });
    expect(loaded.issues).toEqual([]);
    expect(loaded.missingVariables.map((missing) => missing.name)).toEqual(['A']);
    expect(loaded.desired?.services[0]?.process?.argv).toEqual(['x', '']);
  });

  it('.env beside stack.yaml feeds interpolation; the caller environment wins over it', () => {
    const text = yaml('version: 1', 'services:', '  a:', '    command: [x, "${ONE}", "${TWO}"]');
    const loaded = load(text, { TWO: 'caller' }, 'ONE=dotenv\nTWO=dotenv\n');
    expect(loaded.desired?.services[0]?.process?.argv).toEqual(['x', 'dotenv', 'caller']);
  });

  it('a line of .env that sets nothing is an error at its own line, without what follows its first word', () => {
    const text = yaml('version: 1', 'services:', '  a:', '    command: [x, "${PORT:-3000}"]');
    const loaded = load(text, {}, '# ports\nPORT 8080\nNAME=ok\nTOKEN s3cr3t-value\n');
    expect(loaded.desired).toBeUndefined();
    expect(loaded.issues.map((issue) => `${issue.position?.file}:${issue.position?.line}:${issue.position?.column} ${issue.message}`)).toEqual([
      '.env:2:1 this line ("PORT" …) is not NAME=value, so it would set nothing',
      '.env:4:1 this line ("TOKEN" …) is not NAME=value, so it would set nothing',
    ]);
    expect(JSON.stringify(loaded.issues)).not.toContain('s3cr3t');
    expect(load(text, {}, '# ports\nPORT=8080\n').desired?.services[0]?.process?.argv).toEqual(['x', '8080']);
  });

  it('warns once per bare variable that is not set, where it is first used; a valid stack all the same', () => {
    const loaded = load(yaml('version: 1', 'services:', '  a:', '    command: [sh, -c, "echo $i; echo ${i}"]', '  b:', '    command: [x, "$i", "${j:-1}"]'));
    expect(loaded.issues).toEqual([]);
    expect(loaded.desired?.services[0]?.process?.argv).toEqual(['sh', '-c', 'echo ; echo ']);
    expect(loaded.desired?.warnings).toEqual([
      {
        message: 'variable i is not set, so it became an empty string',
        path: 'services.a.command[2]',
        position: { file: 'stack.yaml', line: 4, column: 23 },
        hint: 'set it; or write $$i to leave $i to the program, or ${i:-} if empty is meant',
      },
    ]);
    expect(load(yaml('version: 1', 'services:', '  a:', '    command: [sh, -c, "echo $$i"]')).desired?.warnings).toBeUndefined();
  });

  it('.env is checked only where stack.yaml interpolates, and beside a YAML error too', () => {
    const broken = 'PORT 8080\n';
    expect(load(yaml('version: 1', 'services:', '  a:', '    command: [x, "$$PORT"]'), {}, broken).issues).toEqual([]);
    const both = load(yaml('version: 1', 'services:', '  a:', '    command: [x, "${PORT}"', '  b: ['), {}, broken);
    expect(both.issues.map((issue) => issue.position?.file)).toEqual(['.env', ...Array(both.issues.length - 1).fill('stack.yaml')]);
  });

  it('env precedence: caller env < env files in order < env; env file values are not interpolated', () => {
    const loaded = loadStackText(
      yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [a.env, b.env]', '    env: { LEVEL: "${LEVEL:-env}" }'),
      FILE,
      new Map([
        ['/home/ada/devstack/a.env', 'export LEVEL=a\nA_ONLY="multi\nline"\nPRICE=$$5 # comment\n'],
        ['/home/ada/devstack/b.env', "LEVEL=b\nB_ONLY='q # not a comment'\n"],
      ]),
      { providers: PROVIDERS, env: { LEVEL: 'caller' } },
    );
    // stack.yaml's `${LEVEL}` reads the caller's environment, not the env files.
    expect(loaded.desired?.services[0]?.process?.env).toEqual({ LEVEL: 'caller', A_ONLY: 'multi\nline', PRICE: '$$5', B_ONLY: 'q # not a comment' });
    const files = loadStackText(
      yaml('version: 1', 'services:', '  bot:', '    command: x', '    envFile: [a.env, b.env]'),
      FILE,
      new Map([
        ['/home/ada/devstack/a.env', 'LEVEL=a\nA=1\n'],
        ['/home/ada/devstack/b.env', 'LEVEL=b\n'],
      ]),
      { providers: PROVIDERS, env: { LEVEL: 'caller' } },
    );
    expect(files.desired?.services[0]?.process?.env).toEqual({ LEVEL: 'b', A: '1' });
  });

  it('marks what a sensitive variable reaches as sensitive, and keeps its value out of messages', () => {
    const secret = 'Zq9-very-secret-value';
    const loaded = load(
      yaml('version: 1', 'services:', '  api:', '    command: [api, --token, "${API_TOKEN}"]', '    env: { AUTH: "Bearer ${API_TOKEN}", PLAIN: "${USER}" }'),
      { API_TOKEN: secret, USER: 'ada' },
    );
    const api = loaded.desired?.services[0];
    expect(api?.sensitive.sort()).toEqual(['AUTH', 'command']);
    // AUTH now holds a secret, so its whole value is one too.
    expect(api?.secrets).toEqual([secret, `Bearer ${secret}`]);
    const bad = load(yaml('version: 1', 'services:', '  api:', '    command: x', '    ports: ["${DB_PASSWORD}"]'), { DB_PASSWORD: secret });
    expect(JSON.stringify(bad.issues)).not.toContain(secret);
    expect(issueLines(bad)).toEqual(['5:13 expected a port (1-65535) or "host:port", got "(sensitive)"']);
  });

  it('values from .env are sensitive wherever they go', () => {
    const loaded = load(yaml('version: 1', 'services:', '  a:', '    command: [x, "${DB_URL}"]'), {}, 'DB_URL=postgres://u:pw@db\n');
    expect(loaded.desired?.services[0]?.sensitive).toEqual(['command']);
    expect(loaded.desired?.services[0]?.secrets).toEqual(['postgres://u:pw@db']);
  });

  it('keeps a `__proto__` key a plain key, and paths exact under lists and maps', () => {
    const loaded = load(yaml('version: 1', 'services:', '  a:', '    command: [x, "${A:-a}"]', '    env: { B: "[${B:?}]" }', '  __proto__:', '    command: "${USER}"'), { USER: 'ada' });
    // Had it become the prototype of `services`, the name would pass unseen (and every service inherit its command).
    expect(issueLines(loaded)).toEqual(['5:15 variable B is required by service "a" but is not set', expect.stringMatching(/^6:3 .*__proto__/)]);
    expect(loaded.issues[0]?.path).toBe('services.a.env.B');
  });

  it('never interpolates keys', () => {
    const loaded = load(yaml('version: 1', 'services:', '  a:', '    command: x', '    env: { "$USER": "1" }'), { USER: 'ada' });
    // The key reaches validation as written (and, not being a variable name, is refused there).
    expect(issueLines(loaded)).toEqual(['5:12 env name "$USER" is not allowed: use letters, digits and "_", not starting with a digit']);
  });
});
