// examples/atk-plugins: a plugin wrapping a compose project, added from a local git repository,
// run on a real docker engine with the local test image in place of the real ones.
import { afterAll, describe, expect } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containersOf, dockerIt, removeProject, requireDocker, TEST_IMAGE, volumesOf } from '../support/docker.js';
import { gitIn } from '../support/git-repo.js';
import { stack } from '../support/stack-cli.js';

requireDocker();

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'atk-plugins');
const PROJECT = 'atk-openmemory';
const dir = mkdtempSync(join(tmpdir(), 'stack-atk-'));
cpSync(EXAMPLE, dir, { recursive: true, filter: (source) => !/[/\\](\.stack|plugins)$/.test(source) });
const file = join(dir, 'stack.yaml');

// The real images' own commands do not exist in busybox: the test image runs stand-ins.
const override = join(dir, 'test-images.yaml');
writeFileSync(override, `services:
  openmemory:
    image: ${TEST_IMAGE}
    command: ["httpd", "-f", "-p", "8765", "-h", "/www"]
  qdrant:
    image: ${TEST_IMAGE}
    command: ["sh", "-c", "trap 'exit 0' TERM; echo ready > /qdrant/storage/marker; while true; do sleep 1; done"]
`);
const env = { COMPOSE_FILE: `compose.yaml:${override}` };
const run = (...args: string[]) => stack(['-f', file, ...args], { cwd: dir, env });

afterAll(() => {
  run('down', '--yes');
  removeProject(PROJECT);
  rmSync(dir, { recursive: true, force: true });
});

describe('examples/atk-plugins', () => {
  dockerIt('stack add clones the plugin from git, pins it, starts its compose project; remove --purge leaves nothing', () => {
    const source = join(dir, 'plugin-sources', 'openmemory');
    gitIn(source, 'init', '-q');
    gitIn(source, 'add', '-A');
    gitIn(source, 'commit', '-qm', 'v1');
    const commit = gitIn(source, 'rev-parse', 'HEAD');
    gitIn(dir, 'clone', '-q', '--bare', source, 'openmemory.git');

    const added = stack(['add', './openmemory.git'], { cwd: dir, env });
    expect(added.code, added.stdout + added.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(`ref: ${commit}`);
    expect(existsSync(join(dir, 'plugins', 'openmemory', 'plugin.yaml'))).toBe(true);
    expect(containersOf(PROJECT).map((c) => [c.service, c.state]).sort()).toEqual([['openmemory', 'running'], ['qdrant', 'running']]);
    const status = JSON.parse(run('status', '--json').stdout) as { services: { name: string; observed: string }[] };
    expect(status.services).toEqual([expect.objectContaining({ name: 'openmemory', observed: 'running' })]);
    const plan = run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);

    const health = run('run', 'openmemory', 'health');
    expect(health.code, health.stderr).toBe(0);
    expect(health.stdout).toContain('openmemory answers on 58765');

    const removed = run('remove', 'openmemory', '--purge');
    expect(removed.code, removed.stdout + removed.stderr).toBe(0);
    expect(containersOf(PROJECT)).toEqual([]);
    expect(volumesOf(PROJECT)).toEqual([]);
    expect(readFileSync(file, 'utf8')).not.toMatch(/^ +openmemory:/m);
  }, 180_000);
});
