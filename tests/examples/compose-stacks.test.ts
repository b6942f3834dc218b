// examples/stagecraft and examples/ollama-stack on a real docker engine. Their compose files name
// the real images; here the local test image runs stand-ins (merged in by the compose CLI itself).
import { afterAll, describe, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containersOf, docker, dockerIt, removeProject, requireDocker, TEST_IMAGE, volumesOf } from '../support/docker.js';
import { spawnCli, stack, waitFor } from '../support/stack-cli.js';

requireDocker();

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const made: { dir: string; project: string }[] = [];
afterAll(() => {
  for (const { dir, project } of made) {
    stack(['-f', join(dir, 'stack.yaml'), 'down', '--yes']);
    removeProject(project);
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

const composeCli = (): [string, ...string[]] => (spawnSync('docker', ['compose', 'version']).status === 0 ? ['docker', 'compose'] : ['docker-compose']);

/**
 * A copy of the example whose stack.yaml uses compose.yaml with `override` merged over it;
 * `env` is what the example's stack.yaml sets for the compose file (compose v1 interpolates
 * while it merges).
 */
function exampleOnTestImage(name: string, project: string, override: string, env: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), `stack-${name}-`));
  made.push({ dir, project });
  cpSync(join(EXAMPLES, name), dir, { recursive: true, filter: (source) => !/[/\\]\.stack$/.test(source) });
  writeFileSync(join(dir, 'test-images.yaml'), override);
  const [cli, ...args] = composeCli();
  const merged = spawnSync(cli, [...args, '-f', 'compose.yaml', '-f', 'test-images.yaml', 'config'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  if (merged.status !== 0) throw new Error(`compose config failed: ${merged.stderr}`);
  writeFileSync(join(dir, 'compose.test.yaml'), merged.stdout);
  const file = join(dir, 'stack.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('file: ./compose.yaml', 'file: ./compose.test.yaml'));
  return file;
}

const httpd = (port: number) => `["httpd", "-f", "-p", "${port}", "-h", "/www"]`;
const wget = (port: number) => `["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${port}/"]`;

describe('examples/stagecraft', () => {
  dockerIt('stack up runs the compose stack in the foreground with traefik scaled to zero; Ctrl+C tears it down', async () => {
    const file = exampleOnTestImage('stagecraft', 'stagecraft-app', `services:
  traefik: { image: ${TEST_IMAGE}, command: ${httpd(80)} }
  api: { image: ${TEST_IMAGE}, command: ${httpd(80)}, stop_grace_period: 1s }
  worker: { image: ${TEST_IMAGE}, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do echo worker: tick; sleep 1; done"] }
`, { API_PORT: '58300' });
    const up = spawnCli(['-f', file, 'up']);
    await waitFor(() => up.stdout().includes('worker: tick') || up.result(), 90_000, 'the worker\'s log in up\'s stream');
    expect(up.result(), up.stderr()).toBeUndefined();
    // up streams the worker's log before the api's ready probe has passed; a connection made
    // while docker still sets the container's port up can hang (1 in 5 here): each try is bounded.
    const body = await waitFor(() => fetch('http://127.0.0.1:58300/', { signal: AbortSignal.timeout(2000) }).then((answer) => answer.text(), () => undefined), 60_000, 'the api to answer on its port');
    expect(body).toBe('stack test image\n');
    const running = containersOf('stagecraft-app').map((c) => c.service).sort();
    expect(running).toEqual(['api', 'worker']);

    up.child.kill('SIGINT');
    const result = await up.done;
    expect(result.code, result.stderr).toBe(0);
    expect(containersOf('stagecraft-app').filter((c) => c.state === 'running')).toEqual([]);
  }, 150_000);
});

describe('examples/ollama-stack', () => {
  dockerIt('apply waits for the health checks; disable keeps the volumes, apply --remove-volumes deletes them', () => {
    const file = exampleOnTestImage('ollama-stack', 'ollama-stack-llm', `services:
  ollama:
    image: ${TEST_IMAGE}
    command: ${httpd(11434)}
    healthcheck: { test: ${wget(11434)}, interval: 1s, retries: 30 }
    stop_grace_period: 1s
  webui:
    image: ${TEST_IMAGE}
    command: ${httpd(8080)}
    healthcheck: { test: ${wget(8080)}, interval: 1s, retries: 30 }
    stop_grace_period: 1s
`, { OLLAMA_PORT: '58434', WEBUI_PORT: '58300' });
    const applied = stack(['-f', file, 'apply', '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(containersOf('ollama-stack-llm').map((c) => [c.service, c.status.includes('(healthy)')]).sort()).toEqual([['ollama', true], ['webui', true]]);
    expect(stack(['-f', file, 'plan', '--detailed-exitcode']).code).toBe(0);
    const [ollama] = containersOf('ollama-stack-llm').filter((c) => c.service === 'ollama');
    expect(docker(['exec', ollama!.id, 'touch', '/root/.ollama/model.bin']).status).toBe(0);

    const disabled = stack(['-f', file, 'disable', 'llm', '--yes']);
    expect(disabled.code, disabled.stdout + disabled.stderr).toBe(0);
    expect(containersOf('ollama-stack-llm')).toEqual([]);
    expect(volumesOf('ollama-stack-llm')).toHaveLength(2);

    // Enabled again, the models are still there; then removed for good with their volumes.
    expect(stack(['-f', file, 'enable', 'llm', '--yes']).code).toBe(0);
    const [again] = containersOf('ollama-stack-llm').filter((c) => c.service === 'ollama');
    expect(docker(['exec', again!.id, 'ls', '/root/.ollama']).stdout).toContain('model.bin');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, /enabled: true/.test(text) ? text.replace(/enabled: true/, 'enabled: false') : text.replace('  llm:\n', '  llm:\n    enabled: false\n'));
    const removed = stack(['-f', file, 'apply', '--yes', '--remove-volumes']);
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    expect(containersOf('ollama-stack-llm')).toEqual([]);
    expect(volumesOf('ollama-stack-llm')).toEqual([]);
  }, 180_000);
});
