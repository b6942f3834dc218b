/**
 * Plans and desired-state diffs as GitHub-flavoured markdown, for pull-request comments and
 * `$GITHUB_STEP_SUMMARY`: a summary line, a table with the plan's symbols, then each changed
 * service's fields in a ```diff block. Sensitive values never appear: a FieldChange marked
 * sensitive carries no values, and only the field's name is written.
 */

import { describeDifference, describeSummary, differenceSymbol, type DesiredComparison } from './compare-desired.js';
import { summaryLine } from './render-human.js';
import type { FieldChange, Plan } from '../model/plan.js';

export function renderPlanMarkdown(plan: Plan): string {
  const lines = [`### stack plan: ${code(plan.project)}`, ''];
  if (plan.actions.length === 0 && plan.blocked.length === 0) {
    const count = plan.unchanged.length;
    lines.push(`**No changes.** ${count} ${count === 1 ? 'service matches' : 'services match'} stack.yaml.`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`**${summaryLine(plan.summary, plan.blocked, plan.actions)}**`, '', '| | service | action | reason |', '|:-:|---|---|---|');
  for (const action of plan.actions) {
    const pulled = action.pulledInBy ? ` (pulled in by ${code(action.pulledInBy)})` : '';
    lines.push(row([code(action.symbol), code(action.service), action.task ? 'run' : action.op, cell(action.reason) + pulled]));
  }
  for (const entry of plan.blocked) lines.push(row([code('!'), code(entry.service), entry.kind ?? 'unknown', cell(entry.reason)]));
  const shown = new Set<string>();
  for (const action of plan.actions) {
    if (!action.changes || shown.has(action.service)) continue;
    shown.add(action.service);
    lines.push('', `#### ${code(action.service)}`, '', ...diffBlock(action.changes));
  }
  return `${lines.join('\n')}\n`;
}

export function renderComparisonMarkdown(comparison: DesiredComparison): string {
  const lines = [`### stack diff: ${code(comparison.before)} → ${code(comparison.after)}`, ''];
  if (comparison.services.length === 0) {
    lines.push('**No differences:** both want the same services.');
    return `${lines.join('\n')}\n`;
  }
  const count = comparison.services.length;
  lines.push(`**${count} ${count === 1 ? 'service differs' : 'services differ'}:** ${describeSummary(comparison.summary)}.`, '');
  lines.push('| | service | change |', '|:-:|---|---|');
  for (const entry of comparison.services) lines.push(row([code(differenceSymbol(entry)), code(entry.service), cell(describeDifference(entry))]));
  for (const entry of comparison.services) {
    if (entry.change === 'removed' || entry.fields.length === 0) continue;
    lines.push('', `#### ${code(entry.service)}`, '', ...diffBlock(entry.fields));
  }
  return `${lines.join('\n')}\n`;
}

/** A ```diff block: `-` the old value, `+` the new; a sensitive field only says that it changed. */
function diffBlock(changes: readonly FieldChange[]): string[] {
  const body: string[] = [];
  for (const change of changes) {
    if (change.sensitive) {
      body.push(`  ${change.field}: (sensitive, changed)`);
      continue;
    }
    if (change.files) {
      body.push(...change.files.changed.map((path) => `  ${change.field}: ${path} (changed)`));
      body.push(...change.files.added.map((path) => `+ ${change.field}: ${path}`));
      body.push(...change.files.removed.map((path) => `- ${change.field}: ${path}`));
      continue;
    }
    if (change.before !== undefined) body.push(...prefixLines('-', change.field, change.before));
    if (change.after !== undefined) body.push(...prefixLines('+', change.field, change.after));
  }
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(body.join('\n')) + 1));
  return [`${fence}diff`, ...body, fence];
}

function prefixLines(sign: '-' | '+', field: string, value: string): string[] {
  const [first = '', ...rest] = value.split('\n');
  return [`${sign} ${field}: ${first}`, ...rest.map((line) => `${sign}   ${line}`)];
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

/** A code span that survives backticks inside it. */
function code(text: string): string {
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** Table-cell text: no pipes, newlines or HTML that could break the table or the page. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
