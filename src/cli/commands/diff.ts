import { ExitCode, StackError } from '../../errors.js';

// Placeholder until the command lands; it exists so the command table can name it.
export async function run(): Promise<number> {
  throw new StackError(ExitCode.actionFailed, 'this command is not available in this version yet');
}
