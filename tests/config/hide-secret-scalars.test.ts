// stack.yaml as `stack mcp` shows it (stack://stack.yaml): secrets found as YAML decodes them.
import fc from 'fast-check';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { hideSecretScalars } from '../../src/config/hide-secret-scalars.js';

const file = (written: string) => `version: 1\nservices:\n  web:\n    command: [serve, --port, "8080"]\n    env:\n      API_TOKEN: ${written}\n      MODE: production\n`;

describe('hideSecretScalars', () => {
  it.each([
    ['a plain value', 'hunter2-secret', 'hunter2-secret'],
    ['a \\u escape', '"caf\\u00e9-secret"', 'café-secret'],
    ['a doubled $ in double quotes', '"pa$$word-secret"', 'pa$$word-secret'],
    ["a doubled ' in single quotes", "'it''s-secret'", "it's-secret"],
    ['a line folded with a backslash', '"split \\\n        across-lines"', 'split across-lines'],
    ['a tab escape', '"tab\\there-secret"', 'tab\there-secret'],
    ['a block scalar', '|\n        line one\n        line two', 'line one\nline two\n'],
  ])('hides %s where it stands; the rest of the file is untouched', (_, written, secret) => {
    const text = file(written);
    expect(parse(text).services.web.env.API_TOKEN).toBe(secret);
    const shown = hideSecretScalars(text, [secret]);
    expect(shown).toBe(file('(sensitive)'));
  });

  it('hides a value that holds a secret; leaves keys, other values, and a text that does not parse', () => {
    const text = 'version: 1\nservices:\n  web:\n    command: sh -c "curl -H token:abcd-secret x"\n    env: { abcd-secret: 1, OTHER: abcd }\n';
    expect(hideSecretScalars(text, ['abcd-secret'])).toBe('version: 1\nservices:\n  web:\n    command: (sensitive)\n    env: { abcd-secret: 1, OTHER: abcd }\n');
    expect(hideSecretScalars('a: [', ['x'])).toBe('a: [');
    expect(hideSecretScalars(text, [])).toBe(text);
    // A short secret is hidden only where it is the whole value (as in text, where it is not searched).
    expect(hideSecretScalars('a: ab\nb: abc\n', ['ab'])).toBe('a: (sensitive)\nb: abc\n');
  });

  it('for any secret written as YAML double-quoted (JSON) escapes, the value reads (sensitive) and neither form is left in the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 4, maxLength: 30 }).filter((secret) => !secret.includes('\0') && secret.trim() === secret && secret.length >= 4), (secret) => {
        const written = JSON.stringify(secret);
        const text = file(written);
        fc.pre(parse(text).services.web.env.API_TOKEN === secret);
        const shown = hideSecretScalars(text, [secret]);
        expect(parse(shown).services.web.env.API_TOKEN).toBe('(sensitive)');
        expect(shown).not.toContain(written);
        expect(parse(shown).services.web.env.MODE).toBe('production');
      }),
      { numRuns: 300 },
    );
  });
});
