import { describe, expect, it } from 'vitest';
import { signalNamed } from '../../src/os/signal.js';

describe('signalNamed', () => {
  it('reads a name with or without SIG, in any case, or a number', () => {
    for (const text of ['HUP', 'SIGHUP', 'hup', 'SigHup', '1', ' 1 ']) expect(signalNamed(text), text).toBe('SIGHUP');
    expect(signalNamed('kill')).toBe('SIGKILL');
    expect(signalNamed('9')).toBe('SIGKILL');
    expect(signalNamed('STOP')).toBe('SIGSTOP');
    // Another name of the same number is kept as typed; a number gets its first name.
    expect(signalNamed('IOT')).toBe('SIGIOT');
    expect(signalNamed('6')).toBe('SIGABRT');
  });

  it('knows no signal 0, no unknown name and no number past the table', () => {
    for (const text of ['0', '', 'SIG', 'HUPP', 'SIGFOO', '99', '-1', '1.5', 'RTMIN', 'constructor', 'toString']) expect(signalNamed(text), text).toBeUndefined();
  });
});
