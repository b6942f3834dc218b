import { diffLines, diffWords } from 'diff';
import type { createColors } from 'picocolors';
import type { FieldChange, FileChanges } from '../model/plan.js';

type Colors = ReturnType<typeof createColors>;

const LONG_VALUE = 40;
const INDENT = '    ';

/** The lines shown under an action for each changed field. Sensitive values are never shown. */
export function renderFieldChanges(changes: readonly FieldChange[], colors: Colors): string[] {
  return changes.flatMap((change) => renderFieldChange(change, colors));
}

function renderFieldChange(change: FieldChange, colors: Colors): string[] {
  const label = `${INDENT}${change.field}:`;
  if (change.sensitive) return [`${label} ${colors.dim('(sensitive)')}`];
  if (change.files) return [label, ...fileLines(change.files, colors)];
  const { before, after } = change;
  if (before === undefined || after === undefined || !isLong(before, after)) {
    return [`${label} ${show(before, colors)} → ${show(after, colors)}`];
  }
  if (before.includes('\n') || after.includes('\n')) return [label, ...lineDiff(before, after, colors)];
  return [`${label} ${wordDiff(before, after, colors)}`];
}

// One line per file, marked like the plan's actions: ~ changed, + added, - removed.
function fileLines(files: FileChanges, colors: Colors): string[] {
  return [
    ...files.changed.map((path) => colors.yellow(`${INDENT}  ~ ${path}`)),
    ...files.added.map((path) => colors.green(`${INDENT}  + ${path}`)),
    ...files.removed.map((path) => colors.red(`${INDENT}  - ${path}`)),
  ];
}

function isLong(before: string, after: string): boolean {
  return before.length > LONG_VALUE || after.length > LONG_VALUE || before.includes('\n') || after.includes('\n');
}

function show(value: string | undefined, colors: Colors): string {
  return value === undefined ? colors.dim('(unset)') : JSON.stringify(value);
}

// Without colour, removed and added words are marked like `git diff --word-diff`.
function wordDiff(before: string, after: string, colors: Colors): string {
  return diffWords(before, after)
    .map((part) => {
      if (part.removed) return colors.isColorSupported ? colors.red(colors.strikethrough(part.value)) : `[-${part.value}-]`;
      if (part.added) return colors.isColorSupported ? colors.green(part.value) : `{+${part.value}+}`;
      return part.value;
    })
    .join('');
}

function lineDiff(before: string, after: string, colors: Colors): string[] {
  return diffLines(before, after).flatMap((part) => {
    const lines = part.value.replace(/\n$/, '').split('\n');
    if (part.removed) return lines.map((line) => colors.red(`${INDENT}  - ${line}`));
    if (part.added) return lines.map((line) => colors.green(`${INDENT}  + ${line}`));
    return lines.map((line) => `${INDENT}    ${line}`);
  });
}
