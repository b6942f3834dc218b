// 10,000+ generated documents through the loader per run: it never throws and never hangs.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadStackText } from '../../src/config/load.js';
import { loadPluginText } from '../../src/config/plugin-file.js';
import { figures, printFigures } from './support.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const FILE = '/home/ada/devstack/stack.yaml';
afterAll(() => printFigures('loader-fuzz'));

const serviceKeys = ['provider', 'command', 'shell', 'cwd', 'env', 'envFile', 'dependsOn', 'ports', 'ready', 'health', 'enabled', 'state', 'stop', 'restart', 'logs', 'compose', 'plugin', 'sensitive'];
const hostileString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('${X}', '${X:?need}', '$$', '$(touch x)', '../..', '-1s', '99999999999h', '1e400ms', '\u0000', '\u202e', 'w\u0435b', 'NaN', '.inf', '~', 'a: b', '&a', '*a', '!!binary x'),
);
const leaf = fc.oneof(hostileString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(hostileString, tie('node'), { maxKeys: 4 })),
})).node;
const service = fc.dictionary(fc.constantFrom(...serviceKeys), value, { maxKeys: 6 });
const stackDoc = fc.record(
  { version: fc.constantFrom<unknown>(1, 1, 1, 2, '1', null), project: hostileString, services: fc.dictionary(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/), hostileString), service, { maxKeys: 5 }) },
  { requiredKeys: ['version', 'services'] },
);
// Text-level damage on top of well-formed YAML: cut it, splice bytes in, duplicate lines.
const mutated = fc.tuple(stackDoc, fc.nat(), fc.constantFrom('', '\t', '&a ', '*a', '\u0000', '\n  ', ': ', '- ', '{', '"', '<<: *a\n'), fc.boolean()).map(([doc, at, insert, cut]) => {
  const text = stringify(doc) ?? '';
  const index = at % (text.length + 1);
  return cut ? text.slice(0, index) : text.slice(0, index) + insert + text.slice(index);
});

let documents = 0;
function expectWellFormed(text: string): void {
  documents += 1;
  const loaded = loadStackText(text, FILE, new Map(), { providers: PROVIDERS, env: { X: 'x' } });
  expect(loaded.desired === undefined).toBe(loaded.issues.length > 0);
  for (const issue of loaded.issues) expect(issue.message).not.toBe('');
}

describe('loader fuzz', () => {
  it('10,000 generated stack documents (structured, then damaged as text): never throws', () => {
    const began = performance.now();
    fc.assert(fc.property(stackDoc, (doc) => expectWellFormed(stringify(doc) ?? '')), { numRuns: 5000 });
    fc.assert(fc.property(mutated, expectWellFormed), { numRuns: 5000 });
    figures.faultsInjected += documents;
    expect(documents).toBeGreaterThanOrEqual(10_000);
    process.stdout.write(`loader fuzz: ${documents} documents in ${Math.round(performance.now() - began)} ms\n`);
    // A guard against a hang, not a figure: 10,000 documents took 102 s in a CI run with both cores busy.
  }, 240_000);

  it('1,000 generated plugin.yaml documents: never throws', () => {
    const plugin = fc.record({ name: hostileString, lifecycle: fc.dictionary(fc.constantFrom('install', 'start', 'stop', 'restart', 'status', 'logs', 'uninstall', 'timeout'), value, { maxKeys: 5 }), env: value, ignore: value }, { requiredKeys: [] });
    fc.assert(
      fc.property(plugin, (doc) => {
        const loaded = loadPluginText(stringify(doc) ?? '', '/home/ada/devstack/plugins/p');
        expect(Array.isArray(loaded.issues)).toBe(true);
      }),
      { numRuns: 1000 },
    );
    figures.faultsInjected += 1000;
  }, 60_000);
});
