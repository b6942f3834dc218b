// Which engine the docker CLI would ask, and the engine API's container list over a unix socket
// (a stand-in server here; tests/providers/compose/compose-provider.test.ts reads a real engine).
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_SOCKET, engineContainersFor, engineSocketOf } from '../../../src/providers/compose/engine-api.js';
import { findComposePlugin, pluginDirsOf } from '../../../src/providers/compose/plugin-dirs.js';
import { makeTempDir } from '../helpers.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A docker config folder holding `config` as its config.json (none when undefined). */
async function configDir(config?: string): Promise<string> {
  const dir = await makeTempDir();
  dirs.push(dir);
  if (config !== undefined) await writeFile(path.join(dir, 'config.json'), config);
  return dir;
}

describe('engineSocketOf: the socket the docker CLI would use', () => {
  it('is the default socket with no DOCKER_HOST, context or config', async () => {
    expect(await engineSocketOf({ DOCKER_CONFIG: await configDir() })).toBe(DEFAULT_ENGINE_SOCKET);
    expect(await engineSocketOf({ DOCKER_CONFIG: await configDir('{"auths":{}}') })).toBe(DEFAULT_ENGINE_SOCKET);
    expect(await engineSocketOf({ DOCKER_CONFIG: await configDir('{"currentContext":"default"}') })).toBe(DEFAULT_ENGINE_SOCKET);
  });

  it('follows a unix DOCKER_HOST (rootless docker), which wins over any context', async () => {
    const config = await configDir('{"currentContext":"colima"}');
    expect(await engineSocketOf({ DOCKER_CONFIG: config, DOCKER_HOST: 'unix:///run/user/1000/docker.sock', DOCKER_CONTEXT: 'remote' })).toBe('/run/user/1000/docker.sock');
  });

  it('gives none where the CLI would go elsewhere or stack cannot tell: tcp, ssh, a context, a config it cannot read', async () => {
    const none = await configDir();
    for (const host of ['tcp://builder:2375', 'ssh://ada@builder', 'npipe:////./pipe/docker_engine', 'unix://']) expect(await engineSocketOf({ DOCKER_CONFIG: none, DOCKER_HOST: host })).toBeUndefined();
    expect(await engineSocketOf({ DOCKER_CONFIG: none, DOCKER_CONTEXT: 'desktop-linux' })).toBeUndefined();
    expect(await engineSocketOf({ DOCKER_CONFIG: none, DOCKER_CONTEXT: 'default' })).toBe(DEFAULT_ENGINE_SOCKET);
    expect(await engineSocketOf({ DOCKER_CONFIG: await configDir('{"currentContext":"colima"}') })).toBeUndefined();
    expect(await engineSocketOf({ DOCKER_CONFIG: await configDir('{"currentContext": ') })).toBeUndefined();
  });
});

describe("the docker CLI's config.json, read without hanging", () => {
  it('a FIFO, a link to /dev/zero or a file over 4 MB is not read: the CLI is asked, and no extra plugin folder is taken from it', async () => {
    const fifo = await configDir();
    execFileSync('mkfifo', [path.join(fifo, 'config.json')]);
    const zero = await configDir();
    await symlink('/dev/zero', path.join(zero, 'config.json'));
    const huge = await configDir(`{"currentContext":"default","pad":"${'x'.repeat(5 * 1024 * 1024)}"}`);
    for (const dir of [fifo, zero, huge]) {
      expect(await engineSocketOf({ DOCKER_CONFIG: dir })).toBeUndefined();
      expect(await pluginDirsOf({ DOCKER_CONFIG: dir })).toHaveLength(5);
    }
  });
});

describe('engineContainersFor: GET /containers/json on the socket', () => {
  async function serve(answer: (url: string) => { status: number; body: string }): Promise<{ socket: string; asked: string[] }> {
    const dir = await makeTempDir();
    dirs.push(dir);
    const socket = path.join(dir, 'docker.sock');
    const asked: string[] = [];
    const server = createServer((request, response) => {
      asked.push(request.url ?? '');
      const { status, body } = answer(request.url ?? '');
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return { socket, asked };
  }
  const options = { signal: new AbortController().signal };

  it('asks for every container (stopped too) with the project label, and gives the rows', async () => {
    const rows = [{ Id: 'a1', Names: ['/shop-web-1'], State: 'running', Status: 'Up 2 seconds', Labels: {} }];
    const { socket, asked } = await serve(() => ({ status: 200, body: JSON.stringify(rows) }));
    const lines: string[] = [];
    expect(await engineContainersFor({ DOCKER_HOST: `unix://${socket}` })('shop', { ...options, verbose: (line) => lines.push(line) })).toEqual(rows);
    const url = new URL(asked[0] ?? '', 'http://docker');
    expect(url.pathname).toBe('/containers/json');
    expect(url.searchParams.get('all')).toBe('1');
    expect(JSON.parse(url.searchParams.get('filters') ?? '')).toEqual({ label: ['com.docker.compose.project=shop'] });
    expect(lines).toEqual([expect.stringContaining(`GET /containers/json?all=1&filters=`)]);
  });

  it('gives undefined for an error status, a body that is not a list, a socket nobody serves, or a context', async () => {
    const failing = await serve(() => ({ status: 500, body: '{"message":"boom"}' }));
    expect(await engineContainersFor({ DOCKER_HOST: `unix://${failing.socket}` })('shop', options)).toBeUndefined();
    const odd = await serve(() => ({ status: 200, body: '{"not":"a list"}' }));
    expect(await engineContainersFor({ DOCKER_HOST: `unix://${odd.socket}` })('shop', options)).toBeUndefined();
    const garbled = await serve(() => ({ status: 200, body: '[{"Id":' }));
    expect(await engineContainersFor({ DOCKER_HOST: `unix://${garbled.socket}` })('shop', options)).toBeUndefined();
    expect(await engineContainersFor({ DOCKER_HOST: `unix://${path.join(await configDir(), 'none.sock')}` })('shop', options)).toBeUndefined();
    const served = await serve(() => ({ status: 200, body: '[]' }));
    expect(await engineContainersFor({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })('shop', options)).toBeUndefined();
    expect(served.asked).toEqual([]);
  });
});

describe('findComposePlugin: where the docker CLI finds `docker compose`', () => {
  it('looks in the config folder, then its cliPluginsExtraDirs, then the system folders', async () => {
    const config = await configDir('{"cliPluginsExtraDirs":["/opt/docker-plugins","relative/ignored"]}');
    expect(await pluginDirsOf({ DOCKER_CONFIG: config })).toEqual([
      path.join(config, 'cli-plugins'),
      '/opt/docker-plugins',
      '/usr/local/lib/docker/cli-plugins',
      '/usr/local/libexec/docker/cli-plugins',
      '/usr/lib/docker/cli-plugins',
      '/usr/libexec/docker/cli-plugins',
    ]);
    expect((await pluginDirsOf({ HOME: '/home/ada' }))[0]).toBe('/home/ada/.docker/cli-plugins');
  });

  it('finds an executable docker-compose there, in that order; a file that cannot run is not one', async () => {
    const config = await configDir();
    const extra = await configDir();
    await writeFile(path.join(config, 'config.json'), JSON.stringify({ cliPluginsExtraDirs: [extra] }));
    await writeFile(path.join(extra, 'docker-compose'), '#!/bin/sh\n', { mode: 0o755 });
    expect(await findComposePlugin({ DOCKER_CONFIG: config })).toBe(path.join(extra, 'docker-compose'));
    await mkdir(path.join(config, 'cli-plugins'));
    const own = path.join(config, 'cli-plugins', 'docker-compose');
    await writeFile(own, '#!/bin/sh\n', { mode: 0o644 });
    expect(await findComposePlugin({ DOCKER_CONFIG: config })).toBe(path.join(extra, 'docker-compose'));
    await chmod(own, 0o755);
    expect(await findComposePlugin({ DOCKER_CONFIG: config })).toBe(own);
  });
});
