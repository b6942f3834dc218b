import { describe, expect, it } from 'vitest';
import { suggestCommand } from '../../src/cli/suggest-command.js';

const COMMANDS = ['init', 'validate', 'plan', 'apply', 'status', 'check', 'logs', 'down', 'watch', 'up', 'restart', 'schema', 'run', 'add', 'remove', 'start', 'stop', 'enable', 'disable', 'diff', 'sync'];
const ACTING = new Set(['apply', 'down', 'watch', 'up', 'restart', 'add', 'remove', 'sync', 'start', 'stop', 'enable', 'disable']);
const guess = (word: string) => suggestCommand(word, COMMANDS, ACTING);

describe('suggestCommand: an unknown word is never guessed to mean an action unless it is a slip of it', () => {
  it.each(['top', 'events', 'dashboard', 'mcp', 'exec', 'enabled', 'disabled', 'remote', 'stops', 'restat', 'ad', 'adds', 'aply', 'dow', 'tart', 'stp'])(
    '%s is not taken for a command that acts',
    (word) => {
      const suggested = guess(word);
      expect(suggested === undefined || !ACTING.has(suggested), `${word} → ${suggested}`).toBe(true);
    },
  );

  it.each([
    ['stpo', 'stop'],
    ['strat', 'start'],
    ['enalbe', 'enable'],
    ['remvoe', 'remove'],
    ['dwon', 'down'],
    ['stopp', 'stop'],
    ['sttart', 'start'],
    ['upp', 'up'],
    ['STPO', 'stop'],
  ])('%s, two letters swapped or one doubled, is a slip of %s', (word, verb) => {
    expect(guess(word)).toBe(verb);
  });

  it.each([
    ['stat', 'status'],
    ['stauts', 'status'],
    ['logz', 'logs'],
    ['valdate', 'validate'],
    ['shcema', 'schema'],
  ])('%s is guessed to be the read-only %s', (word, command) => {
    expect(guess(word)).toBe(command);
  });

  it('a word near nothing gets no guess', () => {
    expect(guess('top')).toBeUndefined();
    expect(guess('kubernetes')).toBeUndefined();
  });
});
