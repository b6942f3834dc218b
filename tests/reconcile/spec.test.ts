import { describe, expect, it } from 'vitest';
import { canonicalJson, hashString } from '../../src/reconcile/hash.js';
import { formatArgv, isSensitiveField, specOf } from '../../src/reconcile/spec.js';
import { compose, service } from './factory.js';

describe('hashString', () => {
  it('is 26 lowercase hex digits and deterministic', () => {
    expect(hashString('hello')).toMatch(/^[0-9a-f]{26}$/);
    expect(hashString('hello')).toBe(hashString('hello'));
  });

  it('differs for nearby inputs', () => {
    const hashes = new Set(['', 'a', 'b', 'ab', 'ba', 'a ', '\u0000', 'é'].map(hashString));
    expect(hashes.size).toBe(8);
  });
});

describe('canonicalJson', () => {
  it('ignores key order', () => {
    expect(canonicalJson({ b: '1', a: '2' })).toBe(canonicalJson({ a: '2', b: '1' }));
    expect(canonicalJson({ b: '1', a: '2' })).toBe('{"a":"2","b":"1"}');
  });
});

describe('specOf', () => {
  it('flattens a process service into sorted fields', () => {
    const spec = specOf(service('bot', { command: ['node', 'bot.js', '--name', 'my bot'], env: { LOG_LEVEL: 'debug' } }));
    expect(spec.fields).toEqual({
      command: 'node bot.js --name "my bot"',
      cwd: '/srv/bot',
      'env.LOG_LEVEL': 'debug',
      envFiles: '[]',
      provider: 'process',
      shell: 'false',
    });
    expect(Object.keys(spec.fields)).toEqual(Object.keys(spec.fields).sort());
  });

  it('changes the spec hash when the command or env changes', () => {
    const base = specOf(service('bot'));
    expect(specOf(service('bot', { command: ['node', 'other.js'] })).specHash).not.toBe(base.specHash);
    expect(specOf(service('bot', { env: { A: '1' } })).specHash).not.toBe(base.specHash);
  });

  it('keeps the spec hash when only management settings change', () => {
    const base = specOf(service('bot'));
    const managed = service('bot', {
      stop: { signal: 'SIGINT', timeoutMs: 1 },
      dependsOn: ['db'],
      ports: [{ port: 80 }],
      state: 'stopped',
      ready: { check: { kind: 'tcp', host: '127.0.0.1', port: 80 }, timeoutMs: 1, intervalMs: 1, failureThreshold: 1 },
    });
    expect(specOf(managed)).toEqual(base);
  });

  it('stores sensitive values as a digest, yet a changed secret changes the hash', () => {
    const one = specOf(service('api', { env: { API_TOKEN: 'hunter2', DB_PASS: 'p1' }, sensitive: ['DB_PASS'] }));
    const two = specOf(service('api', { env: { API_TOKEN: 'hunter3', DB_PASS: 'p1' }, sensitive: ['DB_PASS'] }));
    expect(one.fields['env.API_TOKEN']).toMatch(/^sha:[0-9a-f]{26}$/);
    expect(one.fields['env.DB_PASS']).toMatch(/^sha:[0-9a-f]{26}$/);
    expect(JSON.stringify(one)).not.toContain('hunter2');
    expect(JSON.stringify(one)).not.toContain('p1"');
    expect(one.specHash).not.toBe(two.specHash);
    expect(one.fields['env.API_TOKEN']).not.toBe(two.fields['env.API_TOKEN']);
  });

  it('uses a constant install hash for process services', () => {
    expect(specOf(service('a')).installHash).toBe(specOf(service('b', { env: { X: '1' } })).installHash);
  });

  it('derives the compose install hash from the compose file', () => {
    const base = compose('lf');
    const moved = compose('lf', { compose: { ...base.compose!, file: '/elsewhere.yml' } });
    const scaled = compose('lf', { compose: { ...base.compose!, scale: { web: 2 } } });
    expect(specOf(moved).installHash).not.toBe(specOf(base).installHash);
    expect(specOf(scaled).installHash).toBe(specOf(base).installHash);
    expect(specOf(scaled).fields['compose.scale.web']).toBe('2');
    expect(specOf(scaled).specHash).not.toBe(specOf(base).specHash);
  });

  it('keys plugin install on the plugin folder', () => {
    const plugin = service('om', { provider: 'plugin', process: undefined, plugin: { dir: '/p/om' } });
    expect(specOf(plugin).fields).toEqual({ provider: 'plugin', 'plugin.dir': '/p/om' });
  });
});

describe('isSensitiveField', () => {
  it.each([
    ['env.GITHUB_TOKEN', true],
    ['env.apiKey', true],
    ['env.API_KEY', true],
    ['env.DB_PASSWORD', true],
    ['env.PRIVATE_PEM', true],
    ['compose.env.AWS_SECRET', true],
    ['env.LOG_LEVEL', false],
    ['command', false],
  ])('%s → %s', (field, expected) => {
    expect(isSensitiveField(field, [])).toBe(expected);
  });

  it('honours the declared list by key or field name', () => {
    expect(isSensitiveField('env.DSN', ['DSN'])).toBe(true);
    expect(isSensitiveField('command', ['command'])).toBe(true);
  });
});

describe('formatArgv', () => {
  it('quotes only what needs quoting', () => {
    expect(formatArgv(['nats-server', '-p', '4222', 'a b', '', 'x"y'])).toBe('nats-server -p 4222 "a b" "" "x\\"y"');
  });
});
