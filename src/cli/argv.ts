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
