import { findStack, stacksToCompare } from '../../api.js';
import { ExitCode } from '../../model/errors.js';
import { compareDesired, isSameDesired } from '../../reconcile/compare-desired.js';
import { renderComparisonHuman, renderComparisonJson } from '../../reconcile/render-comparison.js';
import { renderComparisonMarkdown } from '../../reconcile/render-markdown.js';
import { parseOutputFormat, streams, useColor, verboseWriter, type GlobalOptions } from '../context.js';

interface DiffOptions extends GlobalOptions {
  format?: string;
}

/**
 * `stack diff [<rev>] [<rev2>]`: what stack.yaml wants at <rev> (default HEAD) against the
 * working file, or against <rev2>. Nothing is observed, started or written: CI can run it on any
 * machine. Exit 0 when both sides want the same, 2 when they differ.
 */
export async function run(options: DiffOptions, args: string[]): Promise<number> {
  const format = parseOutputFormat(options);
  const [rev = 'HEAD', rev2] = args;
  const [before, after] = await stacksToCompare(findStack({ file: options.file }), rev, rev2, verboseWriter(options));
  const comparison = compareDesired(before, after);
  if (format === 'json') streams.stdout.write(renderComparisonJson(comparison));
  else if (format === 'markdown') streams.stdout.write(renderComparisonMarkdown(comparison));
  else streams.stdout.write(renderComparisonHuman(comparison, { color: useColor(options) }));
  return isSameDesired(comparison) ? ExitCode.ok : ExitCode.changesPending;
}
