// examples/plugins' compose-wrapping plugin, driven through its lifecycle commands on the real engine.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { containersOf, dockerIt, removeProject, requireDocker, uniqueProject } from '../support/docker.js';
import { stack, tempStack } from '../support/stack-cli.js';

requireDocker();

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'plugins');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the compose-wrapping example plugin', () => {
  dockerIt('installs, starts (ready over http), restarts with its restart command, and is removed on disable', async () => {
    const project = uniqueProject('stk-plugin');
    const port = await freePort();
    const s = tempStack('');
    cleanups.push(() => s.cleanup());
    cleanups.push(() => removeProject(project));
    cpSync(join(EXAMPLE, 'plugins'), join(s.dir, 'plugins'), { recursive: true });
    const example = readFileSync(join(EXAMPLE, 'stack.yaml'), 'utf8')
      .replace(/ {2}hello:[\s\S]*?\n\n/, '')
      .replace('    enabled: false', `    enabled: true\n    env: { COMPOSE_PROJECT_NAME: ${project}, WHOAMI_PORT: "${port}" }`)
      .replace('http://127.0.0.1:8792/', `http://127.0.0.1:${port}/`);
    writeFileSync(s.file, example);

    const applied = stack(['-f', s.file, 'apply', '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(containersOf(project).map((container) => container.state)).toEqual(['running']);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(200);
    const status = JSON.parse(stack(['-f', s.file, 'status', '--json']).stdout) as { services: { name: string; observed: string }[] };
    expect(status.services.find((row) => row.name === 'whoami')?.observed).toBe('running');

    const restarted = stack(['-f', s.file, 'restart', 'whoami']);
    expect(restarted.code, restarted.stderr).toBe(0);
    expect(restarted.stderr).toContain('Restarting');

    writeFileSync(s.file, readFileSync(s.file, 'utf8').replace('    enabled: true', '    enabled: false'));
    const removed = stack(['-f', s.file, 'apply', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(containersOf(project)).toEqual([]);
  }, 120_000);
});
