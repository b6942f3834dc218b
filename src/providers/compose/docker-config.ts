/**
 * The docker CLI's own config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), read
 * as the CLI reads it, for what stack must know without running it: the current context
 * (engine-api.ts) and the extra plugin folders (plugin-dirs.ts).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile } from '../../os/safe-file.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The CLI's config folder. */
export function dockerConfigDir(env: Env): string {
  return env.DOCKER_CONFIG || join(env.HOME ?? homedir(), '.docker');
}

/** More than any config.json holds (its `auths` included): a larger one is not read. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * config.json's object: `undefined` when there is none (or it holds no object, or cannot be
 * opened), `null` when it is there but cannot be read as JSON: not JSON, larger than
 * MAX_CONFIG_BYTES, or not a regular file (a FIFO would hang a plain read, `/dev/zero` fill memory).
 */
export async function readDockerConfig(env: Env): Promise<Record<string, unknown> | undefined | null> {
  let text: string;
  try {
    const read = await readRegularFile(join(dockerConfigDir(env), 'config.json'), { maxBytes: MAX_CONFIG_BYTES });
    if (!read.ok) return read.reason === 'missing' ? undefined : null;
    text = read.bytes.toString('utf8');
  } catch {
    return undefined;
  }
  try {
    const config: unknown = JSON.parse(text);
    return typeof config === 'object' && config !== null && !Array.isArray(config) ? (config as Record<string, unknown>) : undefined;
  } catch {
    return null;
  }
}
