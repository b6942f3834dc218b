import { describe, expect, it } from 'vitest';
import { readStatusAnswer } from '../../../src/providers/plugin/status.js';

describe('readStatusAnswer', () => {
  it.each([
    [0, '', 'running'],
    [3, '', 'stopped'],
    [1, '', 'unknown'],
    [null, '', 'unknown'],
    [0, '{"state": "stopped"}', 'stopped'],
    [3, '{"state":"running","pid":4}', 'running'],
    [1, 'crashed: exit 137', 'crashed'],
    [0, 'Starting up', 'starting'],
    [3, 'healthy', 'stopped'],
    [0, '{"state": "weird"}', 'running'],
    [2, '{not json', 'unknown'],
  ] as const)('exit %s with %j reads as %s', (code, stdout, phase) => {
    expect(readStatusAnswer(code, stdout)).toBe(phase);
  });
});
