import { describe, expect, it } from 'vitest';

// main.ts runs the CLI on import; the argv rewrite is tested through its pure copy.
const { followForLogs } = await import('../../src/cli/argv.js');

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
