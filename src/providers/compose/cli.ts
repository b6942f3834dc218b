// Finds the compose CLI and checks the engine answers; an unavailable one is a StackError
// (exit 6) that says which part is missing and how to fix it.
import { ExitCode, StackError } from '../../model/errors.js';
import type { CommandResult, RunCommandOptions } from '../../os/runner.js';
import { COMPOSE_V1_BASE, COMPOSE_V2_BASE, composeVersionArgv, engineVersionArgv, type ComposeCli } from './argv.js';

export type Run = (argv: readonly string[], options?: RunCommandOptions) => Promise<CommandResult>;

/** Where a program is on PATH, found without running it; undefined when it is not there. */
export type Locate = (program: string) => Promise<string | undefined>;

/** Where the docker CLI's compose plugin is, found without running docker (plugin-dirs.ts); undefined when it is in none of its folders. */
export type LocatePlugin = () => Promise<string | undefined>;

const PROBE_TIMEOUT_MS = 15_000;

/**
 * `docker compose` (v2) when the plugin answers, else `docker-compose` (v1). With `locate`, v1 is
 * found on PATH instead of run: `docker-compose version` is a Python start-up of 0.6–1 s, the
 * largest cost of an apply before its first compose command (issue 34); its version is then
 * unknown, and a broken install shows in that first command, whose stderr is quoted. With
 * `locatePlugin` too, v2 is found the same way, in the docker CLI's plugin folders, and then v1
 * on PATH; `docker compose version` runs only when neither is found (a plugin where stack does
 * not look). `stack check` runs them, to show the version.
 */
export async function detectComposeCli(run: Run, options: RunCommandOptions, locate?: Locate, locatePlugin?: LocatePlugin): Promise<ComposeCli> {
  if (locate && locatePlugin) {
    if (await locatePlugin()) return { flavour: 'v2', base: COMPOSE_V2_BASE };
    if (await locate(COMPOSE_V1_BASE[0])) return { flavour: 'v1', base: COMPOSE_V1_BASE };
  }
  const v2 = await run(composeVersionArgv('v2'), { ...options, timeoutMs: PROBE_TIMEOUT_MS });
  if (v2.exitCode === 0) return { flavour: 'v2', base: COMPOSE_V2_BASE, version: firstLine(v2.stdout) };
  if (locate) {
    if (await locate(COMPOSE_V1_BASE[0])) return { flavour: 'v1', base: COMPOSE_V1_BASE };
  } else {
    const v1 = await run(composeVersionArgv('v1'), { ...options, timeoutMs: PROBE_TIMEOUT_MS });
    if (v1.exitCode === 0) return { flavour: 'v1', base: COMPOSE_V1_BASE, version: firstLine(v1.stdout) };
  }
  throw new StackError(ExitCode.providerUnavailable, 'docker compose is not installed: neither `docker compose` (v2) nor `docker-compose` (v1) runs', {
    hint: 'install one: `apt-get install docker.io docker-compose` on Debian/Ubuntu, or Docker’s compose plugin (docker-compose-plugin)',
  });
}

/** Resolves with the engine's version; throws exit 6 when the docker CLI is missing or the daemon does not answer. */
export async function checkEngine(run: Run, options: RunCommandOptions): Promise<string> {
  const result = await run(engineVersionArgv(), { ...options, timeoutMs: PROBE_TIMEOUT_MS });
  if (result.exitCode === 0) return firstLine(result.stdout);
  if (result.spawnError === 'ENOENT') {
    throw new StackError(ExitCode.providerUnavailable, 'the docker CLI is not installed (no `docker` on PATH)', {
      hint: 'install it: `apt-get install docker.io docker-compose` on Debian/Ubuntu, or Docker Engine from docs.docker.com',
    });
  }
  const host = options.env?.DOCKER_HOST ?? process.env.DOCKER_HOST;
  const where = host ? `at DOCKER_HOST=${host}` : 'at unix:///var/run/docker.sock';
  const why = result.timedOut ? 'did not answer within 15s' : firstLine(result.stderr) || `docker version exited ${result.exitCode}`;
  throw new StackError(ExitCode.providerUnavailable, `the docker engine ${where} is unreachable: ${why}`, {
    hint: host
      ? 'check DOCKER_HOST points at a running engine, or unset it to use the local socket /var/run/docker.sock'
      : 'start the engine (`systemctl start docker`, or `dockerd &` as root; scripts/docker-test-env.sh does it), check /var/run/docker.sock exists and you may use it (docker group), or set DOCKER_HOST',
  });
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? '';
}
