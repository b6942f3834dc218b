import { constants } from 'node:os';
import { createInterface } from 'node:readline';

/** A stack command running in a process of its own. */
export interface StackCommand {
  /** Its exit code once it ends (128 + n for a signal; 1 when it could not start). */
  done: Promise<number>;
  /** Interrupts it as Ctrl+C would: it stops what it does, records it and exits 130. */
  interrupt: () => void;
}

/**
 * Runs a stack command as a person would type it and hands its output over line by line, stdout
 * and stderr as they come (`stack top`'s keys: a verb, a plan, an apply do exactly what the
 * command does, through a running controller or not). `stack` is how this stack was started
 * (`[node, bin/stack.cjs]`). It stays in this process's group: a hang-up of the terminal reaches
 * it, as it would reach the command typed there.
 */
export async function runStackCommand(
  stack: readonly string[],
  args: readonly string[],
  options: { cwd: string; onLine: (line: string) => void; onStdout?: (line: string) => void },
): Promise<StackCommand> {
  const { spawn } = await import('../os/child-process.js');
  const [file, ...rest] = stack;
  const child = spawn(file as string, [...rest, ...args, '--no-color'], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  // `onStdout`: what the command prints on stdout (its --json body) apart from what it says on stderr.
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', options.onStdout ?? options.onLine);
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', options.onLine);
  const done = new Promise<number>((resolve) => {
    child.once('error', (error) => {
      options.onLine(`could not run stack: ${error.message}`);
      resolve(1);
    });
    child.once('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
  return { done, interrupt: () => void child.kill('SIGINT') };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return (signal && constants.signals[signal]) ?? 15;
}
