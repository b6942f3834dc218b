/**
 * `-f` is `--file` everywhere (DESIGN.md), but after `logs` people type it as `tail -f` and
 * `docker compose logs -f` mean it: follow. There it is `--follow`; `--file` still works.
 */
export function followForLogs(argv: readonly string[]): string[] {
  const at = argv.findIndex((arg, index) => index >= 2 && arg === 'logs' && !['-f', '--file'].includes(argv[index - 1] ?? ''));
  if (at < 0) return [...argv];
  return argv.map((arg, index) => (index > at && arg === '-f' ? '--follow' : arg));
}
