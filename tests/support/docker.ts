// Shared by the tests that need a real docker engine (scripts/docker-test-env.sh provides one).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { beforeAll, it } from 'vitest';

/** The image scripts/docker-test-env.sh builds with `docker import` from busybox-static. */
export const TEST_IMAGE = process.env.STACK_TEST_IMAGE ?? 'stack-test/busybox:latest';

/** Docker tests are skipped only on purpose, never because docker happens to be missing. */
export const SKIP_DOCKER = process.env.STACK_SKIP_DOCKER_TESTS === '1';

const BAR = '!'.repeat(78);
let announced = false;

/**
 * `it` for a test that needs docker: skipped only with STACK_SKIP_DOCKER_TESTS=1, and then
 * said loudly, with the test's name (printed while tests are collected: hooks of skipped tests
 * never run).
 */
export function dockerIt(name: string, fn: () => Promise<void> | void, timeoutMs = 60_000): void {
  if (SKIP_DOCKER) {
    if (!announced) console.warn(`\n${BAR}\n!! STACK_SKIP_DOCKER_TESTS=1: these docker tests are SKIPPED, not run:`);
    announced = true;
    console.warn(`!!   - SKIPPED (no docker): ${name}`);
  }
  it.skipIf(SKIP_DOCKER)(name, fn, timeoutMs);
}

/**
 * Call once per docker test file: without the skip variable, checks the engine answers and the
 * test image exists, failing with how to fix it.
 */
export function requireDocker(): void {
  beforeAll(() => {
    if (SKIP_DOCKER) return;
    const info = docker(['version', '--format', '{{.Server.Version}}']);
    if (info.status !== 0) {
      throw new Error(`the docker tests need an engine and none answers (${info.stderr.trim()}).\nRun \`bash scripts/docker-test-env.sh\` as root, or set STACK_SKIP_DOCKER_TESTS=1 to skip them on purpose.`);
    }
    if (docker(['image', 'inspect', TEST_IMAGE]).status !== 0) {
      throw new Error(`the docker tests need the image ${TEST_IMAGE}: run \`bash scripts/docker-test-env.sh\``);
    }
  });
}

export function docker(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync('docker', args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/** A compose project name no other test (or run) uses. */
export function uniqueProject(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface ContainerInfo {
  id: string;
  service: string;
  state: string;
  status: string;
  labels: string;
}

/** The containers of a compose project, from their labels. */
export function containersOf(project: string): ContainerInfo[] {
  const result = docker(['ps', '-a', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{json .}}']);
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, string>)
    .map((row) => ({
      id: row.ID ?? '',
      service: /com\.docker\.compose\.service=([^,]*)/.exec(row.Labels ?? '')?.[1] ?? '',
      state: row.State ?? '',
      status: row.Status ?? '',
      labels: row.Labels ?? '',
    }));
}

export function volumesOf(project: string): string[] {
  return docker(['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.split('\n').filter(Boolean);
}

/** Removes everything a project left (containers, networks, volumes), by label: works without its compose file. */
export function removeProject(project: string): void {
  if (SKIP_DOCKER) return;
  const filter = `label=com.docker.compose.project=${project}`;
  const ids = (args: string[]) => docker(args).stdout.split('\n').filter(Boolean);
  const containers = ids(['ps', '-aq', '--filter', filter]);
  if (containers.length > 0) docker(['rm', '-f', '-v', ...containers]);
  const networks = ids(['network', 'ls', '-q', '--filter', filter]);
  if (networks.length > 0) docker(['network', 'rm', ...networks]);
  const volumes = ids(['volume', 'ls', '-q', '--filter', filter]);
  if (volumes.length > 0) docker(['volume', 'rm', '-f', ...volumes]);
}
