import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DesiredService } from '../../../src/model/desired.js';
import { ExitCode } from '../../../src/model/errors.js';
import { digestComposeFiles, envFilesOf } from '../../../src/providers/compose/digest.js';
import { composeSpecFromFields } from '../../../src/providers/compose/fields.js';
import { desiredService } from '../../support/desired-service.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stack-compose-digest-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const COMPOSE = `services:
  web:
    image: x
    env_file: ./web.env
  db:
    image: y
    env_file:
      - db.env
      - path: ./extra.env
`;

function serviceFor(file: string): DesiredService {
  return desiredService({
    name: 'web', index: 0, provider: 'compose', enabled: true, state: 'running', dependsOn: [], ports: [], sensitive: [],
    start: { settleMs: 100 }, stop: { signal: 'SIGTERM', timeoutMs: 1 }, logs: { maxSizeBytes: 1, maxFiles: 1 },
    restart: { policy: 'no', maxRestarts: 0, backoff: { initialMs: 1, maxMs: 1, resetMs: 1 } },
    compose: { file, project: 'p-web', services: [], profiles: [], scale: {}, wait: false, env: {} },
  });;
}

describe('envFilesOf', () => {
  it('lists .env beside the file and every env_file form, resolved and sorted', () => {
    expect(envFilesOf(COMPOSE, '/srv/app/compose.yaml')).toEqual(['/srv/app/.env', '/srv/app/db.env', '/srv/app/extra.env', '/srv/app/web.env']);
  });

  it('copes with a file that is not YAML', () => {
    expect(envFilesOf('services: [', '/srv/compose.yaml')).toEqual(['/srv/.env']);
  });
});

describe('digestComposeFiles', () => {
  it('changes with the compose file and with each env file it reads, and only then', async () => {
    const file = path.join(dir, 'compose.yaml');
    await writeFile(file, COMPOSE);
    const service = serviceFor(file);
    const first = await digestComposeFiles(service);
    expect(await digestComposeFiles(service)).toBe(first);
    await writeFile(path.join(dir, 'web.env'), 'A=1\n');
    const withEnv = await digestComposeFiles(service);
    expect(withEnv).not.toBe(first);
    await writeFile(path.join(dir, '.env'), 'TAG=2\n');
    const withDotEnv = await digestComposeFiles(service);
    expect(withDotEnv).not.toBe(withEnv);
    await writeFile(path.join(dir, 'unrelated.env'), 'B=1\n');
    expect(await digestComposeFiles(service)).toBe(withDotEnv);
    await writeFile(file, `${COMPOSE}# edited\n`);
    expect(await digestComposeFiles(service)).not.toBe(withDotEnv);
  });

  it('is a configuration error (exit 5) naming the file when the compose file is missing', async () => {
    await expect(digestComposeFiles(serviceFor(path.join(dir, 'nope.yaml')))).rejects.toMatchObject({
      code: ExitCode.invalidConfig,
      message: expect.stringContaining('nope.yaml: ENOENT'),
    });
  });
});

describe('composeSpecFromFields', () => {
  it('rebuilds the spec, leaving out sensitive env recorded as digests', () => {
    expect(
      composeSpecFromFields({
        'compose.file': '/a/compose.yaml', 'compose.project': 'p-web', 'compose.services': '["web"]', 'compose.profiles': '["dev"]',
        'compose.scale.worker': '2', 'compose.env.TAG': 'v1', 'compose.env.API_TOKEN': 'sha:123',
      }),
    ).toEqual({ file: '/a/compose.yaml', project: 'p-web', services: ['web'], profiles: ['dev'], scale: { worker: 2 }, wait: false, env: { TAG: 'v1' } });
    expect(composeSpecFromFields({ command: 'x' })).toBeUndefined();
  });
});
