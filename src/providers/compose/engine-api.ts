/**
 * The docker engine's own API on its unix socket, for the questions stack asks on every command:
 * which containers a compose project has (`docker ps`), and what a swarm stack runs
 * (swarm/engine.ts asks through `engineGetFor`). `docker ps` is a start of the docker CLI,
 * a Go program: 80–120 ms here, most of a `stack status` of compose services; the same list from
 * the socket takes a few ms. Asked only where the CLI would ask that same engine (the docker
 * CLI's own order: DOCKER_HOST, then DOCKER_CONTEXT, then the current context of its config); a
 * context, a TCP or SSH host, or any failure (no socket, no permission, an error status) gives
 * `undefined`, and the caller runs `docker ps` as before, which says what is wrong.
 */
import { getOverUnixSocket } from '../../os/unix-http.js';
import { PROJECT_LABEL } from './argv.js';
import { readDockerConfig } from './docker-config.js';

/** The engine's socket when DOCKER_HOST names none (the CLI's default context on Linux). */
export const DEFAULT_ENGINE_SOCKET = '/var/run/docker.sock';

const ANSWER_TIMEOUT_MS = 10_000;

/** Lists a compose project's containers (the engine API's rows), or `undefined` when the CLI must be asked. */
export type EngineContainers = (project: string, options: EngineAsk) => Promise<unknown[] | undefined>;

/**
 * The unix socket the docker CLI would use with `env`, or `undefined` when it would use another
 * endpoint (a context, `tcp://`, `ssh://`) or the CLI's config cannot be read as JSON.
 */
export async function engineSocketOf(env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  const host = env.DOCKER_HOST;
  if (host !== undefined && host !== '') return host.startsWith('unix://') && host.length > 'unix://'.length ? host.slice('unix://'.length) : undefined;
  const context = env.DOCKER_CONTEXT;
  if (context !== undefined && context !== '') return context === 'default' ? DEFAULT_ENGINE_SOCKET : undefined;
  const current = await currentContext(env);
  return current === undefined || current === '' || current === 'default' ? DEFAULT_ENGINE_SOCKET : undefined;
}

/** The config's `currentContext`; `null` when the config exists but cannot be read as JSON (the CLI's answer is then unknown). */
async function currentContext(env: Readonly<Record<string, string | undefined>>): Promise<string | undefined | null> {
  const config = await readDockerConfig(env);
  if (config === null) return null;
  return typeof config?.currentContext === 'string' ? config.currentContext : undefined;
}

/** Where and how a request is asked: an answer is awaited no longer than `signal` allows; `verbose` is told the request. */
export interface EngineAsk {
  signal: AbortSignal;
  verbose?: ((line: string) => void) | undefined;
}

/** A GET to the engine's API: the `200` answer's JSON, or `undefined` when the CLI must be asked. */
export type EngineGet = (path: string, options: EngineAsk) => Promise<unknown>;

/** GETs to the engine the docker CLI would ask with `env` (the process's environment); `undefined` for each where it would ask another. */
export function engineGetFor(env: Readonly<Record<string, string | undefined>>): EngineGet {
  return async (path, options) => {
    const socket = await engineSocketOf(env);
    if (socket === undefined) return undefined;
    options.verbose?.(`GET ${path} (the engine's API on ${socket})`);
    return getJson(socket, path, options.signal);
  };
}

/** The `filters` query parameter the engine's API takes: `{"label":["a=b"]}`, encoded. */
export function filtersQuery(filters: Readonly<Record<string, readonly string[]>>): string {
  return `filters=${encodeURIComponent(JSON.stringify(filters))}`;
}

/** The engine lister for `env` (the process's environment): `undefined` for each question when the CLI must be asked. */
export function engineContainersFor(env: Readonly<Record<string, string | undefined>>): EngineContainers {
  const get = engineGetFor(env);
  return async (project, options) => {
    const answer = await get(`/containers/json?all=1&${filtersQuery({ label: [`${PROJECT_LABEL}=${project}`] })}`, options);
    return Array.isArray(answer) ? answer : undefined;
  };
}

/** A `200` answer's JSON body, or `undefined` for anything else. */
async function getJson(socketPath: string, path: string, signal: AbortSignal): Promise<unknown> {
  const answer = await getOverUnixSocket(socketPath, path, { signal, timeoutMs: ANSWER_TIMEOUT_MS });
  if (answer?.status !== 200) return undefined;
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
