import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readStack } from '../../src/load/read-stack.js';
import { allowedKeysAt } from '../../src/config/validate.js';
import { PROVIDERS } from '../../src/providers/registry.js';
import { getStackSchemas } from '../../src/config/schema.js';

const example = fileURLToPath(new URL('../../stack.yaml.example', import.meta.url));

describe('stack.yaml.example', () => {
  it('loads with no issues', async () => {
    // keepPorts: false: the auto ports are picked without writing .stack/ports.json into the repository.
    const desired = await readStack(example, { providers: PROVIDERS, cwd: dirname(example), keepPorts: false });
    expect(desired.project).toBe('example');
    const api = desired.services.find((service) => service.name === 'api');
    expect(Object.keys(api?.namedPorts ?? {})).toEqual(['http', 'admin', 'debug']);
    expect(api?.namedPorts?.admin).toBe(9090);
    expect(api?.ready?.check).toEqual({ kind: 'http', url: `http://127.0.0.1:${api?.namedPorts?.http}/` });
    expect(desired.services.map((service) => `${service.name}:${service.provider}`)).toEqual([
      'broker:process',
      'worker:process',
      'migrate:process',
      'cleanup:process',
      'api:process',
      'ticker:process',
      'web.0:process',
      'web.1:process',
      'dashboards:compose',
      'shop:swarm',
      'memory:plugin',
    ]);
  });

  it('starts with the schema comment and shows every key', async () => {
    const text = await readFile(example, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./stack.schema.json');
    const levels = [[], ['defaults'], ['services', 'x'], ['services', 'x', 'ready'], ['services', 'x', 'compose'], ['services', 'x', 'swarm'], ['services', 'x', 'stop'], ['services', 'x', 'restart'], ['services', 'x', 'restart', 'backoff'], ['services', 'x', 'logs']];
    const missing = levels.flatMap((path) => allowedKeysAt(path, getStackSchemas(PROVIDERS).StackFileSchema)).filter((key) => !new RegExp(`\\b${key}:`).test(text));
    expect(missing).toEqual([]);
  });
});
