import { findStackFile } from '../../load/find-stack.js';
import { readStack } from '../../load/read-stack.js';
import { PROVIDERS } from '../../providers/registry.js';
import { ExitCode } from '../../model/errors.js';
import { locateInRepo } from '../../gitops/git.js';
import { loadStackAtRevision } from '../../gitops/load-at-revision.js';
import { compareDesired, isSameDesired, type ComparedSide } from '../../reconcile/compare-desired.js';
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
  const file = findStackFile({ cwd: process.cwd(), explicit: options.file, env: process.env });
  const verbose = verboseWriter(options);
  const repo = await locateInRepo(file, { verbose });
  const load = { env: process.env, verbose };
  const before = await loadStackAtRevision(repo, rev, load);
  const after: ComparedSide = rev2 !== undefined
    ? await loadStackAtRevision(repo, rev2, load)
    : { label: `the working ${repo.path}`, desired: await readStack(repo.absolute, { providers: PROVIDERS, checkPlugins: false, checkFolders: false }) };
  const comparison = compareDesired(before, after);
  if (format === 'json') streams.stdout.write(renderComparisonJson(comparison));
  else if (format === 'markdown') streams.stdout.write(renderComparisonMarkdown(comparison));
  else streams.stdout.write(renderComparisonHuman(comparison, { color: useColor(options) }));
  return isSameDesired(comparison) ? ExitCode.ok : ExitCode.changesPending;
}
