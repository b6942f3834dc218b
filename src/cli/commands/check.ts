import { checksToJson, renderCheckTable, runChecks } from '../../api.js';
import { ExitCode } from '../../model/errors.js';
import { streams, useColor, type GlobalOptions } from '../context.js';

export async function run(options: GlobalOptions): Promise<number> {
  const verbose = options.verbose ? (line: string) => streams.stderr.write(`$ ${line}\n`) : undefined;
  const results = await runChecks({ file: options.file, verbose });
  if (options.json) streams.stdout.write(`${JSON.stringify(checksToJson(results), null, 2)}\n`);
  else streams.stdout.write(renderCheckTable(results, { color: useColor(options) }));
  return results.every((result) => result.ok) ? ExitCode.ok : ExitCode.actionFailed;
}
