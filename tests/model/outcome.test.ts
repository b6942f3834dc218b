import { describe, expect, it } from 'vitest';
import { factsOf, failureOf } from '../../src/model/outcome.js';
import { OperationError } from '../../src/model/provider.js';

describe('failureOf', () => {
  it('keeps an OperationError’s facts beside its message', () => {
    const error = new OperationError('web', 'web: start (./run) exited with code 2', { exitCode: 2, signal: null, timedOut: false, logTail: ['boom'] });
    expect(failureOf(error)).toEqual({ message: 'web: start (./run) exited with code 2', exitCode: 2, logTail: ['boom'] });
  });

  it('a plain error or a thrown value is its message alone', () => {
    expect(failureOf(new Error('no'))).toEqual({ message: 'no' });
    expect(failureOf('odd')).toEqual({ message: 'odd' });
  });
});

describe('factsOf', () => {
  it('keeps only the facts that are known: a null exit code is one (a signal ended it), an empty tail is not', () => {
    expect(factsOf({ exitCode: null, signal: 'SIGKILL', timedOut: true, logTail: [] })).toEqual({ exitCode: null, signal: 'SIGKILL', timedOut: true });
    expect(factsOf({ signal: null, timedOut: false })).toBeUndefined();
  });
});
