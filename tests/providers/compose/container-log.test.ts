// The pure part of reading a container's log: the engine's line stamps, docker's argv.
import { describe, expect, it } from 'vitest';
import { engineStamp, splitStamp } from '../../../src/providers/compose/container-log.js';

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

describe('engineStamp', () => {
  it('gives docker a time to the nanosecond; an end of a window reaches to the end of its millisecond', () => {
    const time = new Date('2026-01-02T03:04:05.678Z');
    expect(engineStamp(time)).toBe('2026-01-02T03:04:05.678000000Z');
    expect(engineStamp(time, true)).toBe('2026-01-02T03:04:05.678999999Z');
  });
});
