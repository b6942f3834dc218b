/**
 * Where the docker CLI finds its `compose` plugin, looked up as the CLI does (docker/cli's
 * cli-plugins/manager): `cli-plugins` in its config folder ($DOCKER_CONFIG, else ~/.docker), the
 * config's `cliPluginsExtraDirs`, then the system folders. Found this way, `docker compose` is
 * known without starting docker (`docker compose version`: 70–150 ms, on every command that
 * observes a compose service).
 */
import { isAbsolute, join } from 'node:path';
import { resolveExecutable } from '../../os/executables.js';
import { dockerConfigDir, readDockerConfig } from './docker-config.js';

const SYSTEM_PLUGIN_DIRS = ['/usr/local/lib/docker/cli-plugins', '/usr/local/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/libexec/docker/cli-plugins'];

/** The folders the docker CLI looks in for plugins, in its order. */
export async function pluginDirsOf(env: Readonly<Record<string, string | undefined>>): Promise<string[]> {
  const extra = (await readDockerConfig(env))?.cliPluginsExtraDirs;
  const extraDirs = Array.isArray(extra) ? extra.filter((dir): dir is string => typeof dir === 'string' && isAbsolute(dir)) : [];
  return [join(dockerConfigDir(env), 'cli-plugins'), ...extraDirs, ...SYSTEM_PLUGIN_DIRS];
}

/** The executable `docker-compose` plugin the docker CLI would run for `docker compose`, or undefined. */
export async function findComposePlugin(env: Readonly<Record<string, string | undefined>> = process.env): Promise<string | undefined> {
  for (const dir of await pluginDirsOf(env)) {
    const found = await resolveExecutable(join(dir, 'docker-compose'), dir, undefined);
    if (found) return found;
  }
  return undefined;
}
