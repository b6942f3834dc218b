import { execInService } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { checkServiceNames, open, type GlobalOptions } from '../context.js';
import { hangup } from '../hangup.js';

interface ExecOptions extends GlobalOptions {
  composeService?: string;
}

/**
 * `stack exec SERVICE -- CMD [ARGS...]`: the command in the service's environment, on this
 * terminal; its exit code (128 + n when signal n ended it) is stack's. main.ts requires the `--`.
 */
export async function run(options: ExecOptions, args: string[]): Promise<number> {
  const [name = '', ...command] = args;
  if (command.length === 0) throw new StackError(ExitCode.actionFailed, 'stack exec needs a command after `--`', { hint: `for example \`stack exec ${name || 'web'} -- env\`` });
  const workspace = await open(options);
  checkServiceNames(workspace.desired, new Map(), [name]);
  // The terminal going away reaches the command too; stack waits for it and passes its exit on.
  const stopListening = hangup.listen(() => undefined);
  try {
    return await execInService(workspace, name, { command, tty: process.stdin.isTTY === true, ...(options.composeService ? { composeService: options.composeService } : {}) });
  } finally {
    stopListening();
  }
}
