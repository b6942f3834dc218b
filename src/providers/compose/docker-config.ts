/**
 * The docker CLI's own config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), read
 * as the CLI reads it, for what stack must know without running it: the current context
 * (engine-api.ts) and the extra plugin folders (plugin-dirs.ts).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/** The CLI's config folder. */
export function dockerConfigDir(env: Env): string {
  return env.DOCKER_CONFIG || join(env.HOME ?? homedir(), '.docker');
}

/** config.json's object: `undefined` when there is none (or it holds no object), `null` when it is there but not JSON. */
export function readDockerConfig(env: Env): Record<string, unknown> | undefined | null {
  let text: string;
  try {
    text = readFileSync(join(dockerConfigDir(env), 'config.json'), 'utf8');
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
