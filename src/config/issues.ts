/** Helpers for building, hinting and ordering configuration issues. Pure. */

import { closest, distance } from 'fastest-levenshtein';
import type { ConfigIssue, SourcePosition } from '../model/errors.js';

export type KeyPath = readonly (string | number)[];
/** Where a key path is declared, or undefined when it is not in the source. */
export type Locate = (path: KeyPath) => SourcePosition | undefined;

/** `a`, `a or b`, `a, b or c`: how messages list choices. */
export function listOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** `['services', 'web', 'ports', 0]` → `services.web.ports[0]`. */
export function formatPath(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? escapeControls(segment) : `.${escapeControls(segment)}`;
  }
  return text;
}

/** One issue as one line: `stack.yaml:4:16: services.a.command: message (hint)`. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.position ? `${issue.position.file}:${issue.position.line}:${issue.position.column}: ` : '';
  const path = issue.path ? `${issue.path}: ` : '';
  const hint = issue.hint ? ` (${issue.hint})` : '';
  return `${where}${path}${issue.message}${hint}`;
}

/** The position of `path`, or of its nearest ancestor that exists (a missing key's parent). */
export function locateNearest(locate: Locate, path: KeyPath): SourcePosition | undefined {
  for (let end = path.length; end >= 0; end -= 1) {
    const position = locate(path.slice(0, end));
    if (position) return position;
  }
  return undefined;
}

export function issueAt(locate: Locate, path: KeyPath, message: string, hint?: string): ConfigIssue {
  const issue: ConfigIssue = { message, path: formatPath(path), position: locateNearest(locate, path) };
  if (hint !== undefined) issue.hint = hint;
  return issue;
}

/** The closest candidate when it is close enough to be a plausible typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0 || word.length > 200) return undefined;
  // Levenshtein counts two swapped neighbours (`tpc` for `tcp`) as two edits: too many for a short key.
  const swapped = candidates.find((candidate) => isSwap(word.toLowerCase(), candidate.toLowerCase()));
  if (swapped !== undefined) return swapped;
  const best = closest(word, [...candidates]);
  const limit = best.length <= 3 ? 1 : Math.max(2, Math.min(3, Math.floor(best.length / 3)));
  return distance(word.toLowerCase(), best.toLowerCase()) <= limit ? best : undefined;
}

/** `b` with two neighbouring letters swapped (`tpc` for `tcp`). */
export function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let first = 0;
  while (first < a.length && a[first] === b[first]) first += 1;
  return first < a.length - 1 && a[first] === b[first + 1] && a[first + 1] === b[first] && a.slice(first + 2) === b.slice(first + 2);
}

/** Issues in reading order: document-level first, then by line and column. Stable. */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue): [number, number] =>
    issue.position ? [issue.position.line, issue.position.column] : [0, 0];
  return issues
    .map((issue, order) => ({ issue, order, at: rank(issue) }))
    .sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1] || a.order - b.order)
    .map((entry) => entry.issue);
}

/**
 * Control characters of `text` (C0, DEL, C1) escaped as JSON escapes them (`\n`, `\u001b`), as
 * the plan renderer shows them: text from the file never reaches a terminal raw.
 */
export function escapeControls(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (unit >= 0x20 && (unit < 0x7f || unit > 0x9f)) out += char;
    else if (unit < 0x20) out += JSON.stringify(char).slice(1, -1);
    else out += `\\u00${unit.toString(16)}`;
  }
  return out;
}

/** A key or value of the file, in double quotes, for a message. */
export function quote(text: string): string {
  return `"${escapeControls(text)}"`;
}

/** What stack puts where it shortened a value it quotes: the redactor takes it as a cut edge. */
export const CUT_MARK = '…';

/** A value as a person would write it in a message. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return quote(value.length > 60 ? `${value.slice(0, 59)}${CUT_MARK}` : value);
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

/** Issues (or warnings) as `--json` prints them: positions flattened into `file`, `line`, `column`. */
export function issuesToJson(issues: readonly ConfigIssue[]): Record<string, unknown>[] {
  return issues.map((issue) => ({
    message: issue.message,
    path: issue.path,
    ...(issue.position ? { file: issue.position.file, line: issue.position.line, column: issue.position.column } : {}),
    ...(issue.hint ? { hint: issue.hint } : {}),
  }));
}
