import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { loadStackText } from '../../src/config/load.js';
import type { LoadOptions } from '../../src/config/load.js';
import type { CacheUpdate, LoadCache } from '../../src/config/load-cache.js';
import { parseStackText } from '../../src/config/parse.js';
import { parsedFromSnapshot } from '../../src/config/parse-snapshot.js';
import type { KeyPath } from '../../src/config/issues.js';
import { resolveStack } from '../../src/config/resolve.js';
import type { StackFile } from '../../src/config/schema.js';
import { validateStack } from '../../src/config/validate.js';
import { FILE, yaml } from './helpers.js';
import { PROVIDERS } from '../../src/providers/registry.js';

/** What a cache is after being saved as JSON and read back, as read-stack.ts does. */
function throughJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Every key path the value holds, and near misses: a list index given as text, a map key given as a number. */
function pathsOf(value: unknown, prefix: KeyPath = []): KeyPath[] {
  const paths: KeyPath[] = [prefix, [...prefix, 'missing'], [...prefix, 0]];
  if (Array.isArray(value)) {
    value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index]), [...prefix, String(index)]));
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      paths.push(...pathsOf((value as Record<string, unknown>)[key], [...prefix, key]));
      if (/^\d+$/.test(key)) paths.push([...prefix, Number(key)]);
    }
  }
  return paths;
}

/** The snapshot's parse, read back from JSON, answers exactly as the parse of the text did. */
function expectSameParse(text: string): void {
  const parsed = parseStackText(text, 'stack.yaml');
  const snapshot = parsed.document === undefined || parsed.issues.length > 0 ? undefined : parsed.snapshot?.();
  if (!snapshot) return;
  const again = parsedFromSnapshot(throughJson(snapshot), 'stack.yaml');
  expect(again.document).toStrictEqual(parsed.document);
  expect(JSON.stringify(again.document)).toBe(JSON.stringify(parsed.document));
  for (const path of pathsOf(parsed.document)) {
    expect(again.locate(path), JSON.stringify(path)).toEqual(parsed.locate(path));
    expect(again.locateValue(path), JSON.stringify(path)).toEqual(parsed.locateValue(path));
  }
}

describe('a parse snapshot', () => {
  it('gives the same value and positions as parsing, for any value written as YAML', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => expectSameParse(stringify(value) ?? '')), { numRuns: 300 });
  });

  it('gives the same value and positions with anchors, aliases, flow and block styles', () => {
    const piece = fc.constantFrom(
      'a: &x { b: 1, "8": [2, 3] }\n',
      'c: *x\n',
      'd:\n  - &y e\n  - *y\n  - { f: *x }\n',
      '"10": ten\n',
      '2: two\n',
      'g: |\n  text\n  more\n',
      'h:\n',
      '? i\n: j\n',
      'k: [ *y, [1, 2], {} ]\n',
      'l: \'quoted # not a comment\'   # comment\n',
      '__proto__: { m: 1 }\n',
    );
    fc.assert(fc.property(fc.uniqueArray(piece, { maxLength: 8 }), (pieces) => expectSameParse(pieces.join(''))), { numRuns: 300 });
  });

  it('is not taken of a value JSON would change', () => {
    for (const text of ['a: .inf\n', 'a: [1, .nan]\n', 'a: -0\n']) {
      const parsed = parseStackText(text, 'stack.yaml');
      expect(parsed.issues).toEqual([]);
      expect(parsed.snapshot?.()).toBeUndefined();
    }
  });
});

const stackText = yaml(
  'version: 1',
  'services:',
  '  api:',
  '    command: [node, server.js, "--port", "${PORT:-8080}"]',
  '    env: { TOKEN: "${API_TOKEN:-}", MODE: "${MODE:-dev}" }',
  '    ports: ["${PORT:-8080}"]',
  '    ready: { http: "http://localhost:${PORT:-8080}/" }',
  '  "10":',
  '    command: sleep 100',
  '    dependsOn: [api]',
  '  worker:',
  '    command: node worker.js',
  '    dependsOn: ["10"]',
);

const savedBy = (update: CacheUpdate | undefined): LoadCache | undefined => (update && 'save' in update ? update.save : undefined);

function loadWith(env: Record<string, string>, cache?: { saved?: LoadCache; later?: boolean }) {
  const options: LoadOptions = { providers: PROVIDERS, displayFile: 'stack.yaml', env, ...(cache ? { cache } : {}) };
  return loadStackText(stackText, FILE, new Map(), options);
}

describe('loading with a cache', () => {
  it('with `later`, gives the same update as a function to call after acting, not made during the load', () => {
    const now = loadWith({ PORT: '8080' }, {});
    const later = loadWith({ PORT: '8080' }, { later: true });
    expect(later.desired).toEqual(now.desired);
    expect(later.cache).toBeUndefined();
    expect(now.cacheLater).toBeUndefined();
    expect(savedBy(later.cacheLater?.())).toEqual(savedBy(now.cache));
    expect(savedBy(now.cache)?.text).toBe(stackText);
  });

  const environment = fc.record(
    { PORT: fc.constantFrom('8080', '9000', '0', 'abc', '70000'), MODE: fc.constantFrom('dev', 'prod', '${x'), API_TOKEN: fc.constantFrom('s3cret-token', '') },
    { requiredKeys: [] },
  );

  it('loads what loading without one loads, issues and positions included, in any order of environments', () => {
    fc.assert(
      fc.property(fc.array(environment, { minLength: 1, maxLength: 5 }), (environments) => {
        let saved: LoadCache | undefined;
        for (const env of environments) {
          const cached = loadWith(env, { saved });
          const { cache, ...rest } = cached;
          expect(rest).toStrictEqual(loadWith(env));
          if (cache) saved = 'save' in cache ? throughJson(cache.save) : undefined;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the positions as JSON text, read only when a position is asked for: a load without issues reads none', () => {
    const text = yaml('version: 1', 'services:', '  web:', '    command: [sleep, "60"]', '    ports: ["${PORT:-8080}"]', '  worker:', '    command: sleep 60');
    const load = (env: Record<string, string>, saved?: LoadCache) => loadStackText(text, FILE, new Map(), { providers: PROVIDERS, displayFile: 'stack.yaml', env, cache: { ...(saved ? { saved } : {}) } });
    const saved = savedBy(load({}).cache);
    expect(typeof saved?.parse.positions).toBe('string');
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const again = load({}, throughJson(saved));
      expect(again.desired?.services.map((service) => service.name)).toEqual(['web', 'worker']);
      expect(parse.mock.calls.filter(([json]) => json === saved?.parse.positions)).toEqual([]);
      // An issue is told where it is: the positions are read then.
      const invalid = load({ PORT: 'http' }, saved);
      expect(invalid.issues[0]?.position).toMatchObject({ line: 5, column: 13 });
      expect(parse.mock.calls.filter(([json]) => json === saved?.parse.positions)).toHaveLength(1);
    } finally {
      parse.mockRestore();
    }
  });

  it('skips parsing and validation of what it saw before, and keeps no secret', () => {
    const first = loadWith({ PORT: '9000', API_TOKEN: 'tok' }, {});
    expect(first.issues).toEqual([]);
    // API_TOKEN is named like a secret: that document is not kept, only the parse of the text.
    expect(savedBy(first.cache)?.valid).toEqual([]);
    expect(JSON.stringify(first.cache)).not.toContain('tok"');

    const second = loadWith({ PORT: '9000' }, {});
    const saved = throughJson(savedBy(second.cache) as LoadCache);
    expect(saved.valid).toHaveLength(1);
    // Proof that the saved parse is what a load of the same text uses: a changed saved value shows.
    const edited = throughJson(saved);
    (edited.parse.document as { services: { worker: { command: string } } }).services.worker.command = 'node other.js';
    edited.valid = [];
    const fromEdited = loadWith({ PORT: '9000' }, { saved: edited });
    expect(fromEdited.desired?.services.find((service) => service.name === 'worker')?.process?.argv).toEqual(['node', 'other.js']);
    // The same document again: nothing new to save.
    expect(loadWith({ PORT: '9000' }, { saved }).cache).toBeUndefined();
    // Another text: the saved parse is not used, and a new one replaces it.
    const other = loadStackText(`${stackText}# a comment\n`, FILE, new Map(), { providers: PROVIDERS, env: {}, cache: { saved } });
    expect(savedBy(other.cache)?.text).toBe(`${stackText}# a comment\n`);
  });

  it('keeps the two documents used last', () => {
    let saved: LoadCache | undefined;
    for (const port of ['1001', '1002', '1003']) saved = savedBy(loadWith({ PORT: port }, { saved }).cache) ?? saved;
    expect(saved?.valid.map((json) => (JSON.parse(json) as { services: { api: { ports: string[] } } }).services.api.ports[0])).toEqual(['1003', '1002']);
  });
});

describe('the schemas', () => {
  it("change nothing that matters: a valid document resolves as zod's output of it does", () => {
    const port = fc.oneof(fc.integer({ min: 1, max: 65_535 }), fc.constantFrom('8080', '127.0.0.1:9000'));
    const service = fc.record(
      {
        command: fc.oneof(fc.constant('node server.js'), fc.array(fc.oneof(fc.string(), fc.integer(), fc.boolean()), { minLength: 1, maxLength: 3 })),
        env: fc.dictionary(fc.stringMatching(/^[A-Z_]{1,6}$/), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { maxKeys: 3, noNullPrototype: true }),
        ports: fc.array(port, { maxLength: 2 }),
        ready: fc.constantFrom({ tcp: 8080, timeout: '5s' }, { http: 'http://localhost:1/' }, { http: ' http://local\thost:1/x\n' }, { log: 'ready', interval: '100ms' }),
        health: fc.constantFrom({ http: '\thttps://example.com/health ' }, { exec: ['true'] }),
        stop: fc.record({ signal: fc.constantFrom('SIGTERM', 'SIGINT'), timeout: fc.constantFrom('1s', '500ms') }, { requiredKeys: [], noNullPrototype: true }),
        restart: fc.record({ policy: fc.constantFrom('no', 'always'), maxRestarts: fc.nat(9), backoff: fc.constant({ initial: '1s' }) }, { requiredKeys: [], noNullPrototype: true }),
        logs: fc.record({ maxSize: fc.constantFrom('10MB', 1024), maxFiles: fc.integer({ min: 1, max: 9 }) }, { requiredKeys: [], noNullPrototype: true }),
        enabled: fc.boolean(),
        state: fc.constantFrom('running', 'stopped'),
      },
      { requiredKeys: ['command'], noNullPrototype: true },
    );
    const stack = fc.record({ version: fc.constant(1), services: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), service, { minKeys: 1, maxKeys: 3, noNullPrototype: true }) }, { noNullPrototype: true });
    fc.assert(
      fc.property(stack, (document) => {
        const validated = validateStack(document, () => undefined, PROVIDERS);
        expect(validated.issues).toEqual([]);
        const context = { file: FILE, envFileTexts: new Map<string, string>(), locate: () => undefined, providers: PROVIDERS };
        expect(resolveStack(document as StackFile, context)).toStrictEqual(resolveStack(validated.value as StackFile, context));
      }),
      { numRuns: 200 },
    );
  });
});
