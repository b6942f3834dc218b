import type { RepoFile } from '../../gitops/git.js';
import type { ComparedSide, DesiredComparison } from '../../reconcile/compare-desired.js';
import type { DiffJson, FileHistory } from './protocol.js';

/** At most this many commits in one answer. */
export const MAX_COMMITS = 100;
const FIELD = '\x1f';

type Entry = FileHistory['commits'][number];

/**
 * stack.yaml's git history: the commits that touched it, newest first, each with what it changed
 * in the desired state (`stack diff <commit>^ <commit> --json`). A commit never changes: its
 * entry is computed once. Sensitive values are never in it (the diff's JSON nulls them).
 */
export class FileHistoryReader {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly file: string) {}

  async read(limit: number): Promise<FileHistory> {
    const { git, locateInRepo } = await import('../../gitops/git.js');
    const repo = await locateInRepo(this.file);
    const log = await git(['log', `-n${Math.min(Math.max(1, limit), MAX_COMMITS)}`, `--format=%H${FIELD}%P${FIELD}%an${FIELD}%aI${FIELD}%s`, '--', repo.path], `list the commits of ${repo.path}`, { cwd: repo.top });
    const commits: Entry[] = [];
    for (const line of log.split('\n').filter((text) => text !== '')) {
      const [commit = '', parents = '', author = '', date = '', subject = ''] = line.split(FIELD);
      const known = this.entries.get(commit);
      const entry = known ?? { commit, author, date, subject, ...(await diffOf(repo, commit, parents.split(' ')[0] || undefined)) };
      this.entries.set(commit, entry);
      commits.push(entry);
    }
    return { formatVersion: 1, file: repo.path, commits };
  }
}

/** What `commit` changed against its first parent, as JSON and as lines; a side that does not load says why. */
async function diffOf(repo: RepoFile, commit: string, parent: string | undefined): Promise<{ diff: DiffJson | null; lines: string[]; error?: string }> {
  const { loadStackAtRevision } = await import('../../gitops/load-at-revision.js');
  const { compareDesired } = await import('../../reconcile/compare-desired.js');
  const { comparisonToJson, renderComparisonHuman } = await import('../../reconcile/render-comparison.js');
  const load = { env: process.env };
  try {
    const before: ComparedSide = parent ? await loadStackAtRevision(repo, parent, load) : { label: 'nothing', desired: undefined };
    const after = await loadStackAtRevision(repo, commit, load);
    const comparison = compareDesired(before, after);
    return { diff: comparisonToJson(comparison), lines: differenceLines(comparison, renderComparisonHuman) };
  } catch (error) {
    const { problemOf } = await import('../live-sources.js');
    return { diff: null, lines: [], error: problemOf(error) };
  }
}

/** `stack diff`'s lines without its head (`A → B`) and its summary: a line per service, its field diffs under it. */
function differenceLines(comparison: DesiredComparison, render: (comparison: DesiredComparison, options: { color: boolean }) => string): string[] {
  if (comparison.services.length === 0) return [];
  const lines = render(comparison, { color: false }).split('\n');
  return lines.slice(1, -3).map((line) => line.trimEnd());
}
