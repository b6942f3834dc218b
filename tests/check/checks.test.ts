import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDocker } from '../../src/providers/compose/check.js';
import { resolveExecutable } from '../../src/os/executables.js';
import { checkNode, checkStateDir } from '../../src/check/check-system.js';
import { checksToJson, renderCheckTable } from '../../src/check/render-check.js';
import { fail, pass } from '../../src/check/types.js';
import type { CommandResult } from '../../src/os/runner.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stack-check-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '', timedOut: false });
const failed = (stderr: string): CommandResult => ({ exitCode: 1, stdout: '', stderr, timedOut: false });
const missing: CommandResult = { exitCode: null, stdout: '', stderr: '', timedOut: false, spawnError: 'ENOENT' };

function fakeDocker(answers: Record<string, CommandResult>) {
  const asked: string[] = [];
  const run = async (argv: readonly string[]) => {
    asked.push(argv.join(' '));
    return answers[argv.slice(0, 2).join(' ')] ?? missing;
  };
  return { asked, run };
}

describe('checkDocker', () => {
  it('names the engine and compose versions', async () => {
    const { run } = fakeDocker({ 'docker version': ok('27.1.1'), 'docker compose': ok('2.29.1') });
    expect(await checkDocker(undefined, run)).toEqual([pass('docker', 'docker engine 27.1.1 is reachable'), pass('compose', 'docker compose 2.29.1')]);
  });

  it('falls back to docker-compose v1, and says when the daemon is down', async () => {
    const { run, asked } = fakeDocker({
      'docker version': failed('Cannot connect to the Docker daemon at unix:///var/run/docker.sock.'),
      'docker --version': ok('Docker version 28.2.2'),
      'docker-compose version': ok('1.29.2'),
    });
    const results = await checkDocker(undefined, run);
    expect(results.map((result) => result.ok)).toEqual([false, true]);
    expect(results[0]?.detail).toMatch(/^the docker engine at .+ is unreachable: Cannot connect to the Docker daemon/);
    expect(results[0]?.hint).toContain('DOCKER_HOST');
    expect(results[1]?.detail).toBe('docker-compose 1.29.2 (v1)');
    expect(asked.filter((argv) => argv.includes('compose'))).toEqual(['docker compose version --short', 'docker-compose version --short']);
  });

  it('fails with an install hint when docker is missing', async () => {
    const results = await checkDocker(undefined, fakeDocker({}).run);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ check: 'docker', ok: false, detail: 'the docker CLI is not installed (no `docker` on PATH)' });
    expect(results[0]?.hint).toContain('apt-get install docker.io');
  });
});

describe('resolveExecutable', () => {
  it('looks a bare name up on the given PATH, and a path relative to the cwd', async () => {
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'bin', 'tool'), '#!/bin/sh\n');
    await chmod(join(root, 'bin', 'tool'), 0o755);
    await writeFile(join(root, 'bin', 'data'), 'not executable');
    expect(await resolveExecutable('tool', root, `/nonexistent:${join(root, 'bin')}`)).toBe(join(root, 'bin', 'tool'));
    expect(await resolveExecutable('tool', root, '/usr/bin')).toBeUndefined();
    expect(await resolveExecutable('./bin/tool', root, '')).toBe(join(root, 'bin', 'tool'));
    expect(await resolveExecutable('./bin/data', root, '')).toBeUndefined();
    expect(await resolveExecutable('data', root, join(root, 'bin'))).toBeUndefined();
  });
});

describe('system checks', () => {
  it('needs Node 20 or later', () => {
    expect(checkNode('20.0.0').ok).toBe(true);
    expect(checkNode('18.19.1')).toMatchObject({ ok: false, detail: 'Node.js 18.19.1 is too old (needs 20 or later)' });
  });

  it('wants .stack/ writable with mode 0700', async () => {
    const dir = join(root, '.stack');
    expect(await checkStateDir(dir)).toEqual(pass('state', `${dir} will be created (mode 0700)`));
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    expect(await checkStateDir(dir)).toEqual(fail('state', `${dir} has mode 0755, expected 0700`, `chmod 700 ${dir}`));
    await chmod(dir, 0o700);
    expect(await checkStateDir(dir)).toEqual(pass('state', `${dir} is writable, mode 0700`));
  });
});

describe('renderCheckTable', () => {
  it('prints one line per check, hints under failures, and a verdict', () => {
    const results = [pass('node', 'Node.js 20.19.0'), fail('executable', 'web: executable "nodex" not found on PATH', 'install it')];
    expect(renderCheckTable(results, { color: false })).toBe(
      ['✓ node        Node.js 20.19.0', '✗ executable  web: executable "nodex" not found on PATH', '              hint: install it', '', '1 of 2 checks failed.', ''].join('\n'),
    );
    expect(renderCheckTable([results[0] as ReturnType<typeof pass>], { color: false })).toContain('All 1 checks passed.');
    expect(checksToJson(results)).toEqual({ formatVersion: 1, ok: false, checks: results });
  });
});
