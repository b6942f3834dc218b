import pc from 'picocolors';
import type { CheckResult } from './types.js';

/** `stack check --json`, version 1. */
export interface CheckJson {
  formatVersion: 1;
  ok: boolean;
  checks: CheckResult[];
}

export function checksToJson(results: readonly CheckResult[]): CheckJson {
  return {
    formatVersion: 1,
    ok: results.every((result) => result.ok),
    checks: results.map((result) => ({
      check: result.check,
      ok: result.ok,
      detail: result.detail,
      ...(result.hint === undefined ? {} : { hint: result.hint }),
      ...(result.warning ? { warning: true as const } : {}),
    })),
  };
}

/** One line per check, ✓, ! (a warning) or ✗, a hint under each failure and warning, then a one-line verdict. Pure. */
export function renderCheckTable(results: readonly CheckResult[], options: { color: boolean }): string {
  const c = pc.createColors(options.color);
  const width = Math.max(0, ...results.map((result) => result.check.length));
  const lines: string[] = [];
  for (const result of results) {
    const mark = result.warning ? c.yellow('!') : result.ok ? c.green('✓') : c.red('✗');
    lines.push(`${mark} ${result.check.padEnd(width)}  ${result.detail}`);
    if ((!result.ok || result.warning) && result.hint !== undefined) lines.push(`  ${' '.repeat(width)}  ${c.dim(`hint: ${result.hint}`)}`);
  }
  const failed = results.filter((result) => !result.ok).length;
  const warnings = results.filter((result) => result.warning).length;
  const noted = warnings === 0 ? '' : ` (${warnings === 1 ? '1 warning' : `${warnings} warnings`})`;
  lines.push('', failed === 0 ? `All ${results.length} checks passed${noted}.` : `${failed} of ${results.length} checks failed${noted}.`);
  return `${lines.join('\n')}\n`;
}
