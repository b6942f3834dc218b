import { ExitCode, StackError } from '../model/errors.js';

// Where the command name is: the first word after the program's own options, of which only
// -f/--file takes a value.
export function commandIndex(argv: readonly string[]): number {
  for (let index = 2; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (arg === '-f' || arg === '--file') index++;
    else if (!arg.startsWith('-')) return index;
  }
  return -1;
}

/**
 * `-f` is `--file` everywhere (README.md, "Commands"), but after `logs` people type it as
 * `tail -f` and `docker compose logs -f` mean it: follow. There it is `--follow`; `--file`
 * still works.
 */
export function followForLogs(argv: readonly string[]): string[] {
  const at = commandIndex(argv);
  if (at < 0 || argv[at] !== 'logs') return [...argv];
  return argv.map((arg, index) => (index > at && arg === '-f' ? '--follow' : arg));
}

/**
 * `stack help nope` becomes `stack nope`: commander's help command prints the whole help for a
 * name it does not know, without saying so; as a command it is "unknown command", with a did-you-mean.
 */
export function unknownAfterHelp(argv: readonly string[], commands: readonly string[]): string[] {
  const at = commandIndex(argv);
  const name = argv[at + 1];
  if (at < 0 || argv[at] !== 'help' || name === undefined || name.startsWith('-') || commands.includes(name)) return [...argv];
  return argv.filter((_, index) => index !== at);
}

const TAKES_VALUE = new Set(['-f', '--file', '--compose-service']);

/**
 * `stack exec SERVICE -- CMD…` needs the `--`: everything after it is the command's, never
 * stack's (`stack exec web -- ls -f` lists, it does not take `-f` as the stack file). Without
 * it, a StackError whose hint puts it where it belongs; `stack exec --help` still helps.
 */
export function checkExecArgv(argv: readonly string[]): void {
  const at = commandIndex(argv);
  if (at < 0 || argv[at] !== 'exec') return;
  const rest = argv.slice(at + 1);
  if (rest.includes('--') || rest.some((arg) => arg === '-h' || arg === '--help')) return;
  // The first word that is neither an option nor an option's value is the service.
  const serviceAt = rest.findIndex((arg, index) => !arg.startsWith('-') && !TAKES_VALUE.has(rest[index - 1] ?? ''));
  const service = serviceAt < 0 ? 'SERVICE' : rest[serviceAt];
  const command = serviceAt < 0 ? [] : rest.slice(serviceAt + 1);
  const example = `stack exec ${service} -- ${command.length > 0 ? command.join(' ') : 'CMD [ARGS…]'}`;
  throw new StackError(ExitCode.actionFailed, 'stack exec needs `--` between the service and the command', { hint: `\`${example}\`` });
}
