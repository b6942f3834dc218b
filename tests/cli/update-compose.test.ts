// `stack update` for a compose service on the real engine. No registry is reachable here: the
// image is a local tag, moved to a newly built image between calls, which is what a pull that
// found something newer leaves behind; the pull itself fails and is reported, not fatal.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect } from 'vitest';
import { docker, dockerIt, removeProject, requireDocker, TEST_IMAGE, uniqueProject } from '../support/docker.js';
import { stack, tempStack } from '../support/stack-cli.js';

requireDocker();

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** The image id the running container of `project` runs. */
function runningImage(project: string): string {
  const id = docker(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.trim();
  return docker(['inspect', '--format', '{{.Image}}', id]).stdout.trim();
}

/** Points `tag` at a new image built from it (a label more): a newer image under the same name. */
function newerImage(tag: string): string {
  const built = spawnSync('docker', ['build', '-q', '-t', tag, '-'], { input: `FROM ${tag}\nLABEL stack.test.update="${Date.now()}"\n`, encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  return docker(['image', 'inspect', '--format', '{{.Id}}', tag]).stdout.trim();
}

describe('stack update: compose images', () => {
  dockerIt('reports a newer image (--dry-run pulls nothing), then restarts the service onto it', () => {
    const name = uniqueProject('stk-upd');
    const tag = `stack-test/${name}:latest`;
    expect(docker(['tag', TEST_IMAGE, tag]).status).toBe(0);
    cleanups.push(() => docker(['rmi', '-f', tag]));
    const compose = `services:\n  web:\n    image: ${tag}\n    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]\n`;
    const fixture = tempStack(`version: 1\nproject: ${name}\nservices:\n  web:\n    compose: { file: ./compose.yaml }\n`, { 'compose.yaml': compose });
    cleanups.push(() => fixture.cleanup());
    cleanups.push(() => removeProject(`${name}-web`));

    expect(stack(['apply', '--yes'], { cwd: fixture.dir }).code).toBe(0);
    const first = runningImage(`${name}-web`);
    const none = stack(['update', '--dry-run'], { cwd: fixture.dir });
    expect(none.stdout).toContain('Everything is up to date.');

    const second = newerImage(tag);
    expect(second).not.toBe(first);
    const dry = stack(['update', '--dry-run'], { cwd: fixture.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`web: image ${tag}: ${first.slice(7, 19)} → ${second.slice(7, 19)}`);
    expect(dry.stderr).toContain('--dry-run pulls no image');
    expect(runningImage(`${name}-web`)).toBe(first);

    const updated = stack(['update', '--yes'], { cwd: fixture.dir });
    expect(updated.code, updated.stdout + updated.stderr).toBe(0);
    expect(updated.stderr).toContain('warning: web: pull failed');
    expect(updated.stdout).toContain(`~ web`);
    expect(updated.stdout).toContain(`image updated: ${tag}`);
    expect(runningImage(`${name}-web`)).toBe(second);
    expect(stack(['update', '--yes'], { cwd: fixture.dir }).stdout).toContain('Everything is up to date.');
    expect(stack(['plan', '--detailed-exitcode'], { cwd: fixture.dir }).code).toBe(0);
  }, 180_000);
});
