import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadStackText } from '../../src/config/load.js';
import { FILE } from './helpers.js';
import { PROVIDERS } from '../../src/providers/registry.js';

const envFiles = new Map([['/home/ada/devstack/.env', 'A=1\n']]);

/** The loader's contract: a result with issues, or a Desired with none; never an exception. */
function expectWellFormed(text: string): void {
  const loaded = loadStackText(text, FILE, envFiles, { providers: PROVIDERS });
  expect(Array.isArray(loaded.issues)).toBe(true);
  expect(loaded.desired === undefined).toBe(loaded.issues.length > 0);
  for (const issue of loaded.issues) expect(issue.message).not.toBe('');
}

const serviceKeys = ['provider', 'command', 'shell', 'cwd', 'env', 'envFile', 'dependsOn', 'ports', 'ready', 'health', 'enabled', 'state', 'stop', 'restart', 'logs', 'compose', 'plugin', 'sensitive'];
const wildService = fc.dictionary(fc.constantFrom(...serviceKeys), fc.anything(), { maxKeys: 6 });

describe('loadStackText never throws', () => {
  it('for arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), expectWellFormed), { numRuns: 400 });
  });

  it('for YAML-ish text built from stack keywords', () => {
    const token = fc.constantFrom('version: 1\n', 'services:\n', '  web:\n', '    command: ', '- ', '&a ', '*a ', '{', '}', '[', ']', ':', ' ', '\n', '\t', '"', "'", '#', '|', '!!str ', '? ', 'x');
    fc.assert(fc.property(fc.array(token, { maxLength: 40 }), (tokens) => expectWellFormed(tokens.join(''))), { numRuns: 400 });
  });

  it('for any value written as YAML', () => {
    fc.assert(fc.property(fc.anything(), (value) => expectWellFormed(stringify(value) ?? '')), { numRuns: 300 });
  });

  it('for services whose known keys hold any value', () => {
    const stack = fc.record({ version: fc.constantFrom<unknown>(1, 1, 2, '1'), services: fc.dictionary(fc.string({ maxLength: 8 }), wildService, { maxKeys: 4 }) });
    fc.assert(fc.property(stack, (value) => expectWellFormed(stringify(value) ?? '')), { numRuns: 300 });
  });
});

/** Each compose key, and stack's own form its hint must name. */
const composeHints: Record<string, RegExp> = {
  environment: /\benv\b/,
  env_file: /\benvFile\b/,
  working_dir: /\bcwd\b/,
  depends_on: /\bdependsOn\b/,
  healthcheck: /\bhealth: \{/,
  entrypoint: /\bcommand: \[/,
  stop_signal: /\bstop: \{ signal: /,
  stop_grace_period: /\bstop: \{ timeout: /,
  logging: /\blogs: \{/,
  image: /provider: compose/,
  volumes: /provider: compose/,
};
const composeKeys = Object.keys(composeHints);

describe('compose keys', () => {
  it('holding any value, each is one issue at its key with its own hint, never the list of allowed keys', () => {
    const service = fc.dictionary(fc.constantFrom(...composeKeys), fc.anything().filter((value) => value !== undefined), { minKeys: 1, maxKeys: 4 });
    fc.assert(
      fc.property(service, (keys) => {
        const text = stringify({ version: 1, services: { web: { command: 'x', ...keys } } });
        const loaded = loadStackText(text, FILE, envFiles, { providers: PROVIDERS });
        const forKeys = loaded.issues.filter((issue) => Object.keys(keys).some((key) => issue.path === `services.web.${key}`));
        expect(forKeys.map((issue) => issue.path).sort()).toEqual(Object.keys(keys).map((key) => `services.web.${key}`).sort());
        for (const issue of forKeys) {
          expect(issue.position?.line).toBeGreaterThan(0);
          expect(issue.hint).toMatch(composeHints[issue.path.slice('services.web.'.length)] as RegExp);
          expect(issue.hint).not.toMatch(/^allowed keys/);
        }
      }),
      { numRuns: 200, examples: [[{ environment: '${' }]] },
    );
  });
});

const name = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}$/);
const validStack = fc.uniqueArray(name, { minLength: 1, maxLength: 8 }).chain((names) =>
  fc.tuple(
    fc.constant(names),
    // Depending only on earlier services keeps the graph acyclic.
    fc.tuple(...names.map((_, index) => fc.subarray(names.slice(0, index)))),
    fc.array(fc.constantFrom('process', 'compose', 'plugin'), { minLength: names.length, maxLength: names.length }),
  ),
);

function serviceFor(provider: string, index: number, dependsOn: string[]): Record<string, unknown> {
  const common = { dependsOn, ports: [20_000 + index], stop: { timeout: `${index + 1}s` } };
  if (provider === 'compose') return { ...common, compose: { file: `./c${index}/compose.yml` } };
  if (provider === 'plugin') return { ...common, plugin: `./plugins/p${index}`, enabled: index % 2 === 0 };
  return { ...common, command: ['node', `s${index}.js`], env: { N: index }, ready: { tcp: 20_000 + index } };
}

describe('a valid generated stack', () => {
  it('loads with no issues and keeps manifest order', () => {
    fc.assert(
      fc.property(validStack, ([names, deps, providers]) => {
        // JSON is YAML; writing keys one by one keeps "10" after "b", as a person would write it.
        const lines = names.map((service, index) => `  ${JSON.stringify(service)}: ${JSON.stringify(serviceFor(providers[index] as string, index, deps[index] as string[]))}`);
        const loaded = loadStackText(`version: 1\nservices:\n${lines.join('\n')}\n`, FILE, new Map(), { providers: PROVIDERS });
        expect(loaded.issues).toEqual([]);
        expect(loaded.desired?.services.map((service) => service.name)).toEqual(names);
        expect(loaded.desired?.services.map((service) => service.index)).toEqual(names.map((_, index) => index));
        expect(loaded.desired?.services.map((service) => service.provider)).toEqual(providers);
        expect(loaded.desired?.services.map((service) => service.dependsOn)).toEqual(deps);
      }),
      { numRuns: 200 },
    );
  });
});
