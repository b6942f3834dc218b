/** Turns a declared command into argv without running a shell. Pure. */

import { parse } from 'shell-quote';
import { quote } from './issues.js';

export type CommandResult = { argv: string[]; problem?: undefined } | { argv?: undefined; problem: string };

export const AS_ARGV_HINT = 'write it as a list of arguments or set shell: true';

/**
 * A string is split the way a shell would split it, but no shell runs, so anything only a
 * shell understands (pipes, redirects, globs) is reported instead of silently passed through
 * as text. Variables are not among them: stack.yaml is interpolated before this (`${VAR}`
 * from the caller's environment, like compose), so a `$` left here was written as `$$` and
 * means a literal `$`.
 */
export function splitCommand(command: string): CommandResult {
  const dollar = placeholderFor(command);
  let parts: ReturnType<typeof parse>;
  try {
    parts = parse(command.split('$').join(dollar));
  } catch (error) {
    return { problem: `command cannot be split: ${error instanceof Error ? error.message : String(error)}; ${AS_ARGV_HINT}` };
  }
  const argv: string[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      argv.push(part.split(dollar).join('$'));
      continue;
    }
    const entry = part as { op?: string; pattern?: string; comment?: string };
    if (entry.comment !== undefined) return { problem: `command contains a comment (${quote(`#${entry.comment}`)}); quote the # or remove it` };
    if (entry.op === 'glob') return { problem: `command uses the glob ${quote(entry.pattern ?? '')}, but no shell runs to expand it; ${AS_ARGV_HINT}` };
    return { problem: `command uses the shell operator "${entry.op}"; ${AS_ARGV_HINT}` };
  }
  const open = unclosedQuote(command);
  if (open) return { problem: `command has an unterminated quote: add the closing ${open}` };
  if (argv.length === 0) return { problem: 'command is empty' };
  return { argv };
}

// shell-quote drops a quote that is never closed (`a 'b c` gives a, b, c), where a shell refuses the line.
function unclosedQuote(command: string): string | undefined {
  let open: string | undefined;
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index];
    if (open === "'") {
      if (char === "'") open = undefined;
    } else if (char === '\\') {
      index += 1;
    } else if (char === open) {
      open = undefined;
    } else if (open === undefined && (char === "'" || char === '"')) {
      open = char;
    }
  }
  return open;
}

// shell-quote expands `$NAME` itself; a private-use character the text lacks stands in for `$`.
function placeholderFor(text: string): string {
  let code = 0xe000;
  while (text.includes(String.fromCharCode(code))) code += 1;
  return String.fromCharCode(code);
}

/** The argv to exec for a service's `command` and `shell` keys. */
export function commandArgv(command: string | readonly (string | number | boolean)[], shell: boolean): CommandResult {
  if (shell) {
    if (typeof command !== 'string') return { problem: 'shell: true needs command to be a single string, not a list' };
    if (command.trim() === '') return { problem: 'command is empty' };
    return { argv: ['/bin/sh', '-c', command] };
  }
  if (typeof command === 'string') return splitCommand(command);
  if (command.length === 0) return { problem: 'command is an empty list' };
  const argv = command.map(String);
  if (argv[0] === '') return { problem: 'the program (the first argument of command) is empty' };
  return { argv };
}
