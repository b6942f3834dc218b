import pc from 'picocolors';
import { describeDifference, describeSummary, differenceSymbol, type DesiredComparison } from './compare-desired.js';
import { renderFieldChanges } from './render-field-diff.js';

/** `stack diff` for people: one line per service that differs, field diffs under it, a summary. */
export function renderComparisonHuman(comparison: DesiredComparison, options: { color: boolean }): string {
  const colors = pc.createColors(options.color);
  const head = `${comparison.before} → ${comparison.after}`;
  if (comparison.services.length === 0) return `${head}\nNo differences: both want the same services.\n`;
  const width = Math.max(...comparison.services.map((entry) => entry.service.length));
  const lines = [head];
  for (const entry of comparison.services) {
    const symbol = differenceSymbol(entry);
    const painted = symbol === '+' ? colors.green(symbol) : symbol === '-' ? colors.red(symbol) : colors.yellow(symbol);
    lines.push(`  ${painted} ${colors.bold(entry.service.padEnd(width))}  ${describeDifference(entry)}`);
    if (entry.change !== 'removed') lines.push(...renderFieldChanges(entry.fields, colors));
  }
  const count = comparison.services.length;
  lines.push('', `${count} ${count === 1 ? 'service differs' : 'services differ'}: ${describeSummary(comparison.summary)}.`);
  return `${lines.join('\n')}\n`;
}

/** `stack diff --json`, version 1: every key always present (null when it does not apply), in this order. */
export function comparisonToJson(comparison: DesiredComparison) {
  return {
    formatVersion: 1 as const,
    before: comparison.before,
    after: comparison.after,
    project: { before: comparison.project.before, after: comparison.project.after },
    services: comparison.services.map((entry) => ({
      service: entry.service,
      change: entry.change,
      enabled: entry.enabled ? { before: entry.enabled.before ?? null, after: entry.enabled.after ?? null } : null,
      state: entry.state ? { before: entry.state.before ?? null, after: entry.state.after ?? null } : null,
      fields: entry.fields.map((field) => ({
        field: field.field,
        sensitive: field.sensitive,
        before: field.sensitive ? null : (field.before ?? null),
        after: field.sensitive ? null : (field.after ?? null),
      })),
    })),
    summary: { ...comparison.summary },
  };
}

export function renderComparisonJson(comparison: DesiredComparison): string {
  return `${JSON.stringify(comparisonToJson(comparison), null, 2)}\n`;
}
