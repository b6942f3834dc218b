// The pure part of `stack up`'s compose log follower: the engine's line stamps.
import { describe, expect, it } from 'vitest';
import { splitStamp } from '../../../src/providers/compose/follow-logs.js';

describe('splitStamp', () => {
  it('pads the fraction to nanoseconds, so stamps compare as strings', () => {
    const short = splitStamp('2026-01-02T03:04:05.5Z later');
    const long = splitStamp('2026-01-02T03:04:05.123456789Z earlier');
    expect(short).toEqual({ stamp: '2026-01-02T03:04:05.500000000Z', text: 'later' });
    expect((long?.stamp ?? '') < (short?.stamp ?? '')).toBe(true);
  });

  it('keeps the text as printed (spaces, empty lines); a line without a stamp is none', () => {
    expect(splitStamp('2026-01-02T03:04:05.000000001Z   indented')?.text).toBe('  indented');
    expect(splitStamp('2026-01-02T03:04:05.000000001Z')?.text).toBe('');
    expect(splitStamp('Error response from daemon: No such container: abc')).toBeUndefined();
  });
});
