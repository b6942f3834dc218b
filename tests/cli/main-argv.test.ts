import { describe, expect, it } from 'vitest';

// main.ts runs the CLI on import; the argv rewrite is tested through its pure copy.
const { followForLogs, unknownAfterHelp } = await import('../../src/cli/argv.js');

describe('-f after `logs` means follow', () => {
  it('rewrites -f after logs to --follow', () => {
    expect(followForLogs(['node', 'stack', 'logs', 'web', '-f'])).toEqual(['node', 'stack', 'logs', 'web', '--follow']);
  });
  it('keeps -f <file> before the command name', () => {
    expect(followForLogs(['node', 'stack', '-f', 'x.yaml', 'logs', '-f'])).toEqual(['node', 'stack', '-f', 'x.yaml', 'logs', '--follow']);
  });
  it('does not touch other commands, or a file named logs', () => {
    expect(followForLogs(['node', 'stack', 'apply', '-f', 'logs'])).toEqual(['node', 'stack', 'apply', '-f', 'logs']);
    expect(followForLogs(['node', 'stack', '-f', 'logs', 'status'])).toEqual(['node', 'stack', '-f', 'logs', 'status']);
  });
});

describe('help for a name that is no command', () => {
  const commands = ['status', 'logs', 'start'];
  it('drops `help` so that commander says "unknown command"', () => {
    expect(unknownAfterHelp(['node', 'stack', 'help', 'nope'], commands)).toEqual(['node', 'stack', 'nope']);
    expect(unknownAfterHelp(['node', 'stack', '-f', 'x.yaml', '--verbose', 'help', 'stat'], commands)).toEqual(['node', 'stack', '-f', 'x.yaml', '--verbose', 'stat']);
  });
  it('leaves help for a command, bare help, and a service named help alone', () => {
    expect(unknownAfterHelp(['node', 'stack', 'help', 'logs'], commands)).toEqual(['node', 'stack', 'help', 'logs']);
    expect(unknownAfterHelp(['node', 'stack', 'help'], commands)).toEqual(['node', 'stack', 'help']);
    expect(unknownAfterHelp(['node', 'stack', 'status', 'help', 'web'], commands)).toEqual(['node', 'stack', 'status', 'help', 'web']);
    expect(unknownAfterHelp(['node', 'stack', '-f', 'help', 'status'], commands)).toEqual(['node', 'stack', '-f', 'help', 'status']);
  });
});
