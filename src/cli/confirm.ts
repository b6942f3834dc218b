import { createInterface } from 'node:readline/promises';
import { ExitCode, StackError } from '../model/errors.js';

/**
 * Asks before acting, like terraform: on a terminal a yes/no question; without one, a refusal
 * unless --yes was given, so a script never acts by accident.
 */
export async function confirm(question: string, options: { yes?: boolean }): Promise<boolean> {
  if (options.yes) return true;
  if (!process.stdin.isTTY) {
    throw new StackError(ExitCode.actionFailed, 'refusing to act without confirmation: stdin is not a terminal', {
      hint: 'pass --yes to apply without asking',
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } catch (error) {
    // readline rejects on Ctrl+C and Ctrl+D: an answer, not a failure of stack.
    if ((error as { code?: unknown }).code !== 'ABORT_ERR') throw error;
    process.stderr.write('\n');
    if (/Ctrl\+C/.test((error as Error).message)) throw new StackError(ExitCode.interrupted, 'interrupted at the question; nothing done');
    return false;
  } finally {
    rl.close();
  }
}
