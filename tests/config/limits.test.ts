import { describe, expect, it } from 'vitest';
import { issueLines, load, yaml } from './helpers.js';
import { specOf } from '../../src/reconcile/spec.js';
import { formatSize, formatSizeLike } from '../../src/config/units.js';
import { stackJsonSchema } from '../../src/config/json-schema.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const stack = (...lines: string[]) => load(yaml('version: 1', 'services:', ...lines));

describe('limits:', () => {
  it('resolves memory as bytes, cpu and pids as written, on every replica', () => {
    const loaded = stack('  web:', '    command: node app.js', '    replicas: 2', '    limits: { memory: 512MB, cpu: 1.5, pids: 200 }');
    expect(issueLines(loaded)).toEqual([]);
    const services = loaded.desired?.services ?? [];
    expect(services.map((service) => [service.name, service.limits])).toEqual([
      ['web.0', { memoryBytes: 512_000_000, cpu: 1.5, pids: 200 }],
      ['web.1', { memoryBytes: 512_000_000, cpu: 1.5, pids: 200 }],
    ]);
  });

  it('leaves a service without limits as it was, and a task may have them', () => {
    const loaded = stack('  web:', '    command: node app.js', '  migrate:', '    command: ./migrate', '    kind: task', '    limits: { memory: 1GiB }');
    const [web, migrate] = loaded.desired?.services ?? [];
    expect(web?.limits).toBeUndefined();
    expect(Object.keys(specOf(web!).fields).some((key) => key.startsWith('limits'))).toBe(false);
    expect(migrate?.limits).toEqual({ memoryBytes: 1024 ** 3 });
  });

  it('joins the spec: a changed limit is a changed field, the same size written otherwise is not', () => {
    const spec = (limits: string) => specOf(stack('  web:', '    command: node app.js', `    limits: ${limits}`).desired!.services[0]!);
    expect(spec('{ memory: 512MB, cpu: 1.5, pids: 200 }').fields).toMatchObject({ 'limits.memory': '512 MB', 'limits.cpu': '1.5', 'limits.pids': '200' });
    expect(spec('{ memory: 512MB }').specHash).toBe(spec('{ memory: 512000000 }').specHash);
    expect(spec('{ memory: 512MB }').specHash).not.toBe(spec('{ memory: 1GB }').specHash);
  });

  it('refuses limits on a compose service, at the key, saying where compose sets them', () => {
    const loaded = stack('  db:', '    compose: { file: compose.yaml }', '    limits: { memory: 512MB }');
    expect(issueLines(loaded)).toEqual(['5:5 "limits" only applies to process services, and this one is a compose service']);
    expect(loaded.issues[0]?.hint).toMatch(/deploy\.resources\.limits .* in compose\.yaml/);
  });

  it('refuses limits on a plugin service with its own hint', () => {
    const loaded = stack('  p:', '    plugin: ./p', '    limits: { cpu: 1 }');
    expect(issueLines(loaded)).toEqual(['5:5 "limits" only applies to process services, and this one is a plugin service']);
    expect(loaded.issues[0]?.hint).toMatch(/plugin's scripts/);
  });

  it('reports each bad value at its place', () => {
    const loaded = stack('  web:', '    command: x', '    limits:', '      memory: lots', '      cpu: 0', '      pids: 1.5', '      swap: 1GB');
    expect(issueLines(loaded)).toEqual([
      '6:7 expected a memory size like 512MB or 1GiB, got "lots"',
      '7:7 expected at least 0.01 CPUs, got 0',
      '8:7 expected a whole number, got 1.5',
      '9:7 unknown key "swap"',
    ]);
    expect(issueLines(stack('  web:', '    command: x', '    limits: { memory: 10kB, cpu: "2" }'))).toEqual([
      '5:15 a memory limit below 1MB would stop the process as it starts',
      '5:29 expected a number of CPUs like 0.5 or 1.5, got "2"',
    ]);
  });

  it('is in the JSON Schema', () => {
    const schema = stackJsonSchema(PROVIDERS) as { properties: { services: { additionalProperties: { properties: Record<string, { properties?: object }> } } } };
    expect(Object.keys(schema.properties.services.additionalProperties.properties.limits?.properties ?? {})).toEqual(['memory', 'cpu', 'pids']);
  });
});

describe('sizes of limits, as people read them', () => {
  it('says a limit in the unit it was likely written in, a reading in the same family', () => {
    expect(formatSize(512_000_000)).toBe('512 MB');
    expect(formatSize(512 * 1024 ** 2)).toBe('512 MiB');
    expect(formatSize(2 * 1024 ** 3)).toBe('2 GiB');
    expect(formatSize(1234567)).toBe('1234567 B');
    expect(formatSizeLike(530_000_000, 512_000_000)).toBe('530 MB');
    expect(formatSizeLike(600 * 1024 ** 2, 512 * 1024 ** 2)).toBe('600 MiB');
  });
});
