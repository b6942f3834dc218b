import { describe, expect, it } from 'vitest';

// main.ts runs the CLI on import; the argv rewrite is tested through its pure copy.
const { checkExecArgv, followForLogs, unknownAfterHelp } = await import('../../src/cli/argv.js');

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

describe('stack exec needs `--` before the command', () => {
  const argv = (...args: string[]) => ['node', 'stack', ...args];
  it('passes with `--`, and for help', () => {
    expect(() => checkExecArgv(argv('exec', 'web', '--', 'ls', '-f'))).not.toThrow();
    expect(() => checkExecArgv(argv('-f', 's.yaml', 'exec', '--compose-service', 'db', 'web', '--', 'psql'))).not.toThrow();
    expect(() => checkExecArgv(argv('exec', '--help'))).not.toThrow();
    expect(() => checkExecArgv(argv('status', 'web'))).not.toThrow();
  });
  it('refuses without it, the hint putting it after the service (option values are no service)', () => {
    expect(() => checkExecArgv(argv('exec', 'web', 'ls', '-la'))).toThrow(expect.objectContaining({ code: 1, hint: '`stack exec web -- ls -la`' }));
    expect(() => checkExecArgv(argv('exec', '-f', 's.yaml', 'web', 'env'))).toThrow(expect.objectContaining({ hint: '`stack exec web -- env`' }));
    expect(() => checkExecArgv(argv('exec', 'web'))).toThrow(expect.objectContaining({ hint: '`stack exec web -- CMD [ARGS…]`' }));
  });
});
