import { describe, expect, it } from 'vitest';
import { commandArgv, splitCommand } from '../../src/config/command.js';

describe('splitCommand', () => {
  it('splits like a shell, with quotes and escapes', () => {
    expect(splitCommand(`node -e "console.log('hi there')" a\\ b 'c d'`)).toEqual({
      argv: ['node', '-e', "console.log('hi there')", 'a b', 'c d'],
    });
  });

  it.each([
    ['a | b', 'command uses the shell operator "|"; write it as a list of arguments or set shell: true'],
    ['a && b', 'command uses the shell operator "&&"; write it as a list of arguments or set shell: true'],
    ['a; b', 'command uses the shell operator ";"; write it as a list of arguments or set shell: true'],
    ['a > log', 'command uses the shell operator ">"; write it as a list of arguments or set shell: true'],
    ['a 2>&1', 'command uses the shell operator ">&"; write it as a list of arguments or set shell: true'],
    ['a &', 'command uses the shell operator "&"; write it as a list of arguments or set shell: true'],
    ['ls *.js', 'command uses the glob "*.js", but no shell runs to expand it; write it as a list of arguments or set shell: true'],
    ['a #note', 'command contains a comment ("#note"); quote the # or remove it'],
    ['   ', 'command is empty'],
    ["./argv.sh 'unterminated x y", "command has an unterminated quote: add the closing '"],
    ['./argv.sh "unterminated x y', 'command has an unterminated quote: add the closing "'],
    ['a "b \\" c', 'command has an unterminated quote: add the closing "'],
  ])('reports %j', (command, problem) => {
    expect(splitCommand(command)).toEqual({ problem });
  });

  it('closes quotes like a shell: the other quote and escaped quotes do not open one', () => {
    expect(splitCommand(`a "it's" 'say "hi"' it\\'s \\" 'b\\'`)).toEqual({ argv: ['a', "it's", 'say "hi"', "it's", '"', 'b\\'] });
  });

  it('keeps every dollar literal: interpolation already ran, so a $ here was written $$', () => {
    expect(splitCommand("grep -E '^ok$' log")).toEqual({ argv: ['grep', '-E', '^ok$', 'log'] });
    expect(splitCommand('echo $')).toEqual({ argv: ['echo', '$'] });
    expect(splitCommand('echo $HOME "${USER}" a$b')).toEqual({ argv: ['echo', '$HOME', '${USER}', 'a$b'] });
    expect(splitCommand('echo \uE000$x')).toEqual({ argv: ['echo', '\uE000$x'] });
  });
});

describe('commandArgv', () => {
  it('runs a string through /bin/sh -c with shell: true', () => {
    expect(commandArgv('a | b', true)).toEqual({ argv: ['/bin/sh', '-c', 'a | b'] });
  });

  it('stringifies list items and keeps them as they are', () => {
    expect(commandArgv(['sleep', 5, true, '$HOME'], false)).toEqual({ argv: ['sleep', '5', 'true', '$HOME'] });
  });

  it('refuses empty commands', () => {
    expect(commandArgv([], false)).toEqual({ problem: 'command is an empty list' });
    expect(commandArgv(['', 'x'], false)).toEqual({ problem: 'the program (the first argument of command) is empty' });
    expect(commandArgv(' ', true)).toEqual({ problem: 'command is empty' });
    expect(commandArgv(['a'], true)).toEqual({ problem: 'shell: true needs command to be a single string, not a list' });
  });
});
