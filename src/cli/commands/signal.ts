import { parseSignal, readApplied, signalServices, type ServiceSignalled } from '../../api.js';
import { ExitCode, StackError } from '../../model/errors.js';
import { open, serviceNamesOf, streams, type GlobalOptions } from '../context.js';

/**
 * `stack signal SERVICE... SIGNAL`: the signal once to each service's run, directly (no lock, no
 * controller: nothing recorded changes). Exit 1 when any named service was not signalled.
 */
export async function run(options: GlobalOptions, args: string[]): Promise<number> {
  const { names: written, signal } = splitArgs(args);
  const workspace = await open(options);
  const applied = await readApplied(workspace);
  const names = serviceNamesOf(workspace.desired, applied, written);
  const results = await signalServices(workspace, applied, names, signal);
  for (const result of results) {
    if (result.kind === 'sent') streams.stdout.write(`${result.service}: sent ${signal} to ${result.to}\n`);
    else streams.stderr.write(`${describeUnsent(result)}\n`);
  }
  return results.every((result) => result.kind === 'sent') ? ExitCode.ok : ExitCode.actionFailed;
}

function describeUnsent(result: Exclude<ServiceSignalled, { kind: 'sent' }>): string {
  if (result.kind === 'not-running') return `${result.service}: not running (${result.reason}); not signalled`;
  return `${result.service}: not signalled: ${result.reason}`;
}

/** The signal comes last, as in the issue's `stack signal nginx HUP`; the other way round gets a hint. */
function splitArgs(args: readonly string[]): { names: string[]; signal: NodeJS.Signals } {
  const last = args.at(-1);
  if (args.length < 2 || last === undefined) {
    throw new StackError(ExitCode.actionFailed, 'stack signal needs the services, then the signal', { hint: 'for example `stack signal nginx HUP`' });
  }
  const names = args.slice(0, -1);
  try {
    return { names, signal: parseSignal(last) };
  } catch (error) {
    const first = args[0] as string;
    if (!isSignal(first)) throw error;
    throw new StackError(ExitCode.actionFailed, `unknown signal "${last}"`, { hint: `the signal comes last: \`stack signal ${[...args.slice(1), first].join(' ')}\`` });
  }
}

function isSignal(text: string): boolean {
  try {
    parseSignal(text);
    return true;
  } catch {
    return false;
  }
}
