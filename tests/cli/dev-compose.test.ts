// The development loop for a compose service (issue 31, point 3) on a real docker engine: a saved
// file rebuilds the image (`compose build`) and the restart recreates the container from it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect } from 'vitest';
import { containersOf, docker, dockerIt, removeProject, requireDocker, TEST_IMAGE, uniqueProject } from '../support/docker.js';
import { Cleanup } from '../support/controller.js';
import { tempStack, waitFor } from '../support/stack-cli.js';

requireDocker();

const cleanups: (() => void)[] = [];
const running = new Cleanup();
afterEach(async () => {
  await running.run();
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const logsOf = (id: string) => docker(['logs', id]).stdout;

describe('watch: on a compose service', () => {
  dockerIt('a saved file rebuilds its image and recreates its container; a broken build keeps the one running', async () => {
    const project = uniqueProject('stk-dev');
    const image = `${project}-img:dev`;
    const s = tempStack(
      `version: 1\nproject: ${project}\nservices:\n  web:\n    provider: compose\n    compose: { file: ./compose.yaml }\n    watch: ["app/**"]\n`,
      {
        'compose.yaml': `services:\n  web:\n    build: .\n    image: ${image}\n`,
        Dockerfile: `FROM ${TEST_IMAGE}\nCOPY app /app\nRUN grep -q ok /app/version\nCMD ["sh", "-c", "cat /app/version; trap 'exit 0' TERM; while true; do sleep 0.2; done"]\n`,
      },
    );
    cleanups.push(() => s.cleanup());
    cleanups.push(() => removeProject(`${project}-web`));
    cleanups.push(() => void docker(['image', 'rm', '-f', image]));
    mkdirSync(join(s.dir, 'app'));
    writeFileSync(join(s.dir, 'app', 'version'), 'v1 ok\n');

    const controller = running.cli(['watch', '--interval', '2s', '-f', s.file]);
    await controller.waitForStderr(/watching .*stack\.yaml \(pid (\d+)\)/, 60_000, 'the "watching" line');
    const [first] = containersOf(`${project}-web`);
    expect(first?.state).toBe('running');
    await waitFor(() => logsOf(first?.id ?? '').includes('v1 ok'), 10_000, 'v1 in its log');

    writeFileSync(join(s.dir, 'app', 'version'), 'v2 ok\n');
    await controller.waitForStderr(/web: restarted/, 60_000, 'the rebuild and restart');
    const [second] = containersOf(`${project}-web`);
    expect(second?.id).not.toBe(first?.id);
    await waitFor(() => logsOf(second?.id ?? '').includes('v2 ok'), 10_000, 'v2 in the new container');

    writeFileSync(join(s.dir, 'app', 'version'), 'v3 bad\n');
    await controller.waitForStderr(/web: build failed: exited with code \d+; the running process is kept/, 60_000, 'the failed build');
    expect(containersOf(`${project}-web`).map((container) => [container.id, container.state])).toEqual([[second?.id, 'running']]);
  }, 180_000);
});
