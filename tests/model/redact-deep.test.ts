import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactDeep, redactedJson } from '../../src/model/redact-deep.js';

const SECRET = 'hunter2-"quoted"\\x';
const redact = (text: string) => text.split(SECRET).join('(sensitive)');

describe('redactDeep', () => {
  it('redacts every string, in objects and arrays at any depth, and leaves keys and other values alone', () => {
    const value = {
      [`key ${SECRET}`]: SECRET,
      n: 3,
      ok: true,
      none: null,
      list: [`a ${SECRET} b`, 4, { deep: [[SECRET]] }],
    };
    expect(redactDeep(value, redact)).toEqual({
      [`key ${SECRET}`]: '(sensitive)',
      n: 3,
      ok: true,
      none: null,
      list: ['a (sensitive) b', 4, { deep: [['(sensitive)']] }],
    });
  });

  it('finds a secret that JSON would escape (quotes, backslashes), which redacting the serialized text misses', () => {
    const body = { error: { message: `cannot reach ${SECRET}` } };
    expect(redact(JSON.stringify(body))).toContain('hunter2');
    expect(JSON.stringify(redactDeep(body, redact))).not.toContain('hunter2');
  });

  it('returns a new value and leaves the given one as it was', () => {
    const value = { list: [SECRET] };
    const redacted = redactDeep(value, redact);
    expect(value.list[0]).toBe(SECRET);
    expect(redacted).not.toBe(value);
    expect(redactDeep(SECRET, redact)).toBe('(sensitive)');
    expect(redactDeep(undefined, redact)).toBeUndefined();
  });

  it('redactedJson writes what JSON.stringify of redactDeep writes, for any JSON value (property)', () => {
    const text = fc.oneof(fc.string(), fc.constant(SECRET), fc.string().map((rest) => `${rest}${SECRET}${rest}`));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('node')), fc.dictionary(text, tie('node'))),
    })).node;
    fc.assert(
      fc.property(value, (each) => {
        const written = redactedJson(each, redact);
        expect(written).toBe(JSON.stringify(redactDeep(each, redact)));
        expect(written.includes('hunter2') ? JSON.stringify(each).includes('hunter2') && hasSecretKey(each) : true).toBe(true);
      }),
    );
  });
});

/** A key holding the secret: keys are names, never redacted. */
function hasSecretKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasSecretKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) => key.includes('hunter2') || hasSecretKey(item));
}
