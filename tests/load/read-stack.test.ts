import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readStack, readStackDetailed, sameInputs } from '../../src/load/read-stack.js';
import type { ReadStackOptions } from '../../src/load/read-stack.js';
import { parseCacheIn } from '../../src/state/parse-cache.js';
import { ExitCode, StackError } from '../../src/model/errors.js';
import { PROVIDERS } from '../../src/providers/registry.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stack-read-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<StackError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (error instanceof StackError) return error;
  throw new Error(`expected a StackError, got ${String(error)}`);
}

describe('readStack', () => {
  it('loads a stack with its env files', async () => {
    await mkdir(join(root, 'bot'));
    await writeFile(join(root, 'bot', '.env'), 'TOKEN=abc\n');
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  bot:\n    command: node bot.js\n    envFile: ./bot/.env\n');
    const desired = await readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root });
    expect(desired.root).toBe(root);
    expect(desired.services[0]?.process?.env).toEqual({ TOKEN: 'abc' });
    expect(desired.services[0]?.sensitive).toEqual(['TOKEN']);
    expect(desired.services[0]?.position).toEqual({ file: 'stack.yaml', line: 3, column: 3 });
  });

  it('throws exit 5 with every issue, positioned relative to the cwd', async () => {
    await mkdir(join(root, 'sub'));
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  bot:\n    comand: x\n    envFile: missing.env\n');
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: join(root, 'sub') }));
    expect(error.code).toBe(ExitCode.invalidConfig);
    expect(error.message).toBe('../stack.yaml is not valid (2 problems)');
    expect(error.issues.map((issue) => `${issue.position?.file}:${issue.position?.line}:${issue.position?.column} ${issue.message}`)).toEqual([
      '../stack.yaml:4:5 unknown key "comand" (did you mean "command"?)',
      '../stack.yaml:5:5 env file missing.env not found',
    ]);
  });

  it('reports a missing cwd, a missing env file, an unknown dependency and NUL characters all at once', async () => {
    await writeFile(
      join(root, 'stack.yaml'),
      'version: 1\nservices:\n  a:\n    command: [sleep, "30"]\n    cwd: ./nope\n    envFile: ./missing.env\n    dependsOn: [ghost]\n  b:\n    command: [echo, "x\\0y"]\n    env:\n      K: "v\\0w"\n',
    );
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(ExitCode.invalidConfig);
    expect(error.issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.path}: ${issue.message}`)).toEqual([
      '5:5 services.a.cwd: working folder ./nope does not exist',
      '6:5 services.a.envFile: env file ./missing.env not found',
      '7:17 services.a.dependsOn[0]: service "a" depends on "ghost", which is not a service in this file',
      '9:21 services.b.command[1]: argument 2 of command holds a NUL character ("\\0"), which no process can receive',
      '11:7 services.b.env.K: the value of K holds a NUL character ("\\0"), which no process can receive',
    ]);
  });

  it('judges a cwd that is a file, not one of a disabled service, nor any with checkFolders: false', async () => {
    await writeFile(join(root, 'file'), '');
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  a:\n    command: x\n    cwd: ./file\n  b:\n    command: x\n    cwd: ./gone\n    enabled: false\n');
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.message}`)).toEqual(['5:5 working folder ./file is not a folder']);
    const desired = await readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root, checkFolders: false });
    expect(desired.services.map((service) => service.process?.cwd)).toEqual([join(root, 'file'), join(root, 'gone')]);
    await rm(join(root, 'file'));
    await mkdir(join(root, 'file'));
    expect((await readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root })).services).toHaveLength(2);
  });

  it('reports a missing env file where it is named', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  bot:\n    command: x\n    envFile: missing.env\n');
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.message}`)).toEqual([
      '5:5 env file missing.env not found',
    ]);
  });

  it('says why an env file that exists cannot be read', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  bot:\n    command: x\n    envFile: [folder.env, binary.env]\n');
    await mkdir(join(root, 'folder.env'));
    await writeFile(join(root, 'binary.env'), Buffer.from([0x41, 0x3d, 0xff, 0x0a]));
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(ExitCode.invalidConfig);
    expect(error.message).toBe(`cannot read env file ${join(root, 'folder.env')}: it is a directory\ncannot read env file ${join(root, 'binary.env')}: it is not valid UTF-8 text`);
    await rm(join(root, 'folder.env'), { recursive: true });
    await writeFile(join(root, 'folder.env'), 'B=1\n');
    const binary = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(binary.message).toBe(`cannot read env file ${join(root, 'binary.env')}: it is not valid UTF-8 text`);
  });

  it('reports invalid UTF-8 instead of crashing', async () => {
    await writeFile(join(root, 'stack.yaml'), Buffer.from([0x76, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(ExitCode.invalidConfig);
    expect(error.issues).toEqual([{ message: 'the file is not valid UTF-8 text', path: '', position: { file: 'stack.yaml', line: 1, column: 1 } }]);
  });

  it('reports a file over 1 MiB without parsing it', async () => {
    await writeFile(join(root, 'stack.yaml'), `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.issues[0]?.message).toBe(`the file is larger than 1 MiB (${2 * 1024 * 1024 + 3} bytes)`);
  });

  it('throws exit 3 when the file is gone', async () => {
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(ExitCode.noStackFile);
  });

  it('throws exit 3 saying why when the file cannot be read', async () => {
    await mkdir(join(root, 'stack.yaml'));
    const error = await rejection(readStack(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root }));
    expect(error.code).toBe(ExitCode.noStackFile);
    expect(error.message).toBe(`cannot read stack file ${join(root, 'stack.yaml')}: it is a directory`);
  });
});

describe('readStack with a parse cache', () => {
  const text = 'version: 1\nservices:\n  api:\n    command: node api.js\n    env: { API_TOKEN: "${API_TOKEN}", PORT: "${PORT:-8080}" }\n    ports: ["${PORT:-8080}"]\n';
  const cacheFile = () => join(root, 'cache', 'stack.json');
  const cacheIn = (build = 'b1'): ReadStackOptions => ({ providers: PROVIDERS, cache: parseCacheIn(cacheFile(), build) });
  const read = (env: Record<string, string>, options: ReadStackOptions = cacheIn()) => readStack(join(root, 'stack.yaml'), { cwd: root, env, ...options });
  const saved = async () => JSON.parse(await readFile(cacheFile(), 'utf8')) as { build: string; text: string; valid: string[]; parse: { document: { services: { api: { command: string } } } } };

  beforeEach(async () => {
    await writeFile(join(root, 'stack.yaml'), text);
  });

  it('saves the parse, readable by the owner only and without the secret, and loads the same from it', async () => {
    const first = await read({ API_TOKEN: 'hunter2', PORT: '9000' });
    const cache = await saved();
    expect(cache.build).toBe('b1');
    expect(cache.text).toBe(text);
    // The document the token was interpolated into is not kept; the parse of the text is.
    expect(cache.valid).toEqual([]);
    expect(JSON.stringify(cache)).not.toContain('hunter2');
    expect((await stat(cacheFile())).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, 'cache'))).mode & 0o777).toBe(0o700);
    expect(await read({ API_TOKEN: 'hunter2', PORT: '9000' })).toStrictEqual(first);
    expect(await readdir(root)).toEqual(['cache', 'stack.yaml']);
  });

  it('keeps no secret, however it reached the stack', async () => {
    const cases: [string, Record<string, string>, Record<string, string>?][] = [
      // A secret-named key, whatever the variable is called.
      ['version: 1\nservices:\n  db:\n    command: postgres\n    env: { DB_PASSWORD: "${DBPW}" }\n', { DBPW: 'hunter2secret' }],
      // Part of a longer value.
      ['version: 1\nservices:\n  db:\n    command: ["psql", "postgres://app:${PGPASSWORD}@db/app"]\n', { PGPASSWORD: 'hunter2secret' }],
      // Written in stack.yaml itself: not even the parse is kept.
      ['version: 1\nservices:\n  db:\n    command: postgres\n    env: { API_KEY: hunter2secret }\n', {}],
      // Listed as sensitive by the service.
      ['version: 1\nservices:\n  db:\n    command: ["serve", "${SEED}"]\n    sensitive: [SEED]\n', { SEED: 'hunter2secret' }],
      // In a comment, the value of a key an env file holds.
      ['version: 1\nservices:\n  db:\n    command: postgres\n    envFile: .env.local  # API_TOKEN=hunter2secret\n', {}, { '.env.local': 'API_TOKEN=hunter2secret\n' }],
      // Interpolated outside any service.
      ['version: 1\nproject: "p${PRIVATE_SUFFIX}"\nservices:\n  db:\n    command: postgres\n', { PRIVATE_SUFFIX: 'hunter2secret' }],
      // Written with quotes that JSON escapes.
      ['version: 1\nservices:\n  db:\n    command: postgres\n    env: { API_TOKEN: "q\\"hunter2secret\\\\x" }\n', {}],
      // A field listed as sensitive: any value may be a secret.
      ['version: 1\nservices:\n  db:\n    command: curl -u admin:hunter2secret http://x/\n    sensitive: [command]\n', {}],
      // A short secret written unquoted: YAML reads a number, the environment gets its text.
      ['version: 1\nservices:\n  db:\n    command: postgres\n    env: { DB_PASSWORD: 123, NOTE: hunter2secret }\n', {}],
      ['version: 1\nservices:\n  db:\n    provider: compose\n    compose: { file: compose.yaml, env: { DB_PASSWORD: 123, NOTE: hunter2secret } }\n', {}, { 'compose.yaml': 'services: {}\n' }],
    ];
    for (const [stackText, env, files = {}] of cases) {
      await writeFile(join(root, 'stack.yaml'), stackText);
      for (const [name, content] of Object.entries(files)) await writeFile(join(root, name), content);
      await read(env);
      const written = await readFile(cacheFile(), 'utf8').catch(() => '');
      expect(written, stackText).not.toContain('hunter2secret');
      await rm(cacheFile(), { force: true });
    }
  });

  it('forgets what it saved when a value in it becomes a secret', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  db:\n    command: postgres\n    env: { DB_URL: "postgres://hunter2secret@db" }\n    envFile: .env.local\n');
    await writeFile(join(root, '.env.local'), 'OTHER=value\n');
    await read({});
    expect(await readFile(cacheFile(), 'utf8')).toContain('hunter2secret');
    // A key an env file holds is a secret, wherever else it is set.
    await writeFile(join(root, '.env.local'), 'OTHER=value\nDB_URL=x\n');
    await read({});
    expect(await readFile(cacheFile(), 'utf8').catch(() => 'gone')).toBe('gone');
  });

  it('drops a document kept from another environment once a value in it becomes a secret', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  web:\n    command: [sleep, "100"]\n    env: { GREETING: "${GREETING}" }\n    envFile: app.env\n');
    await writeFile(join(root, 'app.env'), 'OTHER=value\n');
    await read({ GREETING: 'hunter2secret' });
    await read({ GREETING: 'hello there' });
    expect((await saved()).valid.join()).toContain('hunter2secret');
    // Now an env file holds it under a secret name: no document that holds it may stay.
    await writeFile(join(root, 'app.env'), 'OTHER=value\nAPI_KEY=hunter2secret\n');
    await read({ GREETING: 'hello there' });
    expect(await readFile(cacheFile(), 'utf8')).not.toContain('hunter2secret');
    expect((await saved()).valid).toHaveLength(1);
  });

  it('is kept for a stack whose env file holds short values', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  db:\n    command: [sleep, "100"]\n    envFile: .env.local\n');
    await writeFile(join(root, '.env.local'), 'DEBUG=1\nLEVEL=dev\n');
    await read({});
    expect((await saved()).valid).toHaveLength(1);
  });

  it('uses the saved parse of the same text, and ignores one of another build', async () => {
    await read({ API_TOKEN: 'x' });
    const cache = await saved();
    cache.parse.document.services.api.command = 'node edited.js';
    await writeFile(cacheFile(), JSON.stringify(cache));
    expect((await read({ API_TOKEN: 'x' })).services[0]?.process?.argv).toEqual(['node', 'edited.js']);
    expect((await read({ API_TOKEN: 'x' }, cacheIn('b2'))).services[0]?.process?.argv).toEqual(['node', 'api.js']);
  });

  it('parses again when the saved cache is damaged', async () => {
    await read({ API_TOKEN: 'x' });
    const expected = await read({ API_TOKEN: 'x' }, { providers: PROVIDERS });
    for (const damaged of ['{"build":"b1"', JSON.stringify({ ...(await saved()), parse: { document: 1, positions: { at: 'x', map: 7 } } })]) {
      await writeFile(cacheFile(), damaged);
      expect(await read({ API_TOKEN: 'x' })).toStrictEqual(expected);
    }
  });

  it('reports a document made invalid by the environment where the text says, as without a cache', async () => {
    await read({ API_TOKEN: 'x', PORT: '9000' });
    const withCache = await rejection(read({ API_TOKEN: 'x', PORT: 'http' }));
    const without = await rejection(read({ API_TOKEN: 'x', PORT: 'http' }, { providers: PROVIDERS }));
    expect(withCache.issues).toEqual(without.issues);
    expect(withCache.issues.map((issue) => `${issue.position?.line}:${issue.position?.column}`)).toEqual(['6:13']);
  });
});

describe('what a load read (sameInputs: the controller skips reading an unchanged stack.yaml on its interval)', () => {
  const load = (options: Partial<ReadStackOptions> = {}) => readStackDetailed(join(root, 'stack.yaml'), { providers: PROVIDERS, cwd: root, ...options });

  it('is the same until stack.yaml, .env, an env file or a working folder changes, each told apart', async () => {
    await mkdir(join(root, 'work'));
    await writeFile(join(root, 'app.env'), 'A=1\n');
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  a:\n    command: sleep 1\n    envFile: ./app.env\n    cwd: ./work\n');
    let { inputs } = await load();
    expect(inputs.settled).toBe(true);
    expect([...inputs.files.keys()].sort()).toEqual([join(root, '.env'), join(root, 'app.env'), join(root, 'stack.yaml')]);
    expect(await sameInputs(inputs)).toBe(true);

    // The same length, the same mtime put back: the change time still tells.
    const before = await stat(join(root, 'app.env'));
    await writeFile(join(root, 'app.env'), 'A=2\n');
    await utimes(join(root, 'app.env'), before.atime, before.mtime);
    expect(await sameInputs(inputs)).toBe(false);
    ({ inputs } = await load());
    expect(await sameInputs(inputs)).toBe(true);

    // A .env beside stack.yaml that was not there.
    await writeFile(join(root, '.env'), 'B=1\n');
    expect(await sameInputs(inputs)).toBe(false);
    ({ inputs } = await load());

    // The working folder gone.
    await rm(join(root, 'work'), { recursive: true });
    expect(await sameInputs(inputs)).toBe(false);
    await mkdir(join(root, 'work'));
    expect(await sameInputs(inputs)).toBe(true);

    // stack.yaml replaced by a rename (an editor's save), same text.
    await writeFile(join(root, 'next.yaml'), await readFile(join(root, 'stack.yaml')));
    await rename(join(root, 'next.yaml'), join(root, 'stack.yaml'));
    expect(await sameInputs(inputs)).toBe(false);
  });

  it('is never the same after a load that read what stat cannot vouch for: auto ports, compose, accounts, a text given', async () => {
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  web:\n    command: sleep ${ports.web.http}\n    ports: { http: auto }\n');
    expect((await load()).inputs.settled).toBe(false);
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  a:\n    command: sleep 1\n');
    const given = await load({ text: 'version: 1\nservices:\n  b:\n    command: sleep 1\n' });
    expect(given.inputs.settled).toBe(false);
    expect(await sameInputs(given.inputs)).toBe(false);
    expect((await load()).inputs.settled).toBe(true);
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  a:\n    command: sleep 1\n    user: root\n');
    expect((await load()).inputs.settled).toBe(false);
    await writeFile(join(root, 'docker-compose.yml'), 'services:\n  db:\n    image: busybox\n');
    await writeFile(join(root, 'stack.yaml'), 'version: 1\nservices:\n  db:\n    compose: { file: docker-compose.yml }\n');
    expect((await load()).inputs.settled).toBe(false);
  });
});
