/** The check that comes from stack.yaml itself: required variables. */

import type { MissingVariable } from '../config/interpolate-document.js';
import { fail, pass, type CheckResult } from './types.js';

export function checkVariables(missing: readonly MissingVariable[]): CheckResult[] {
  if (missing.length === 0) return [pass('variable', 'every required variable (${NAME:?}) is set')];
  return missing.map((entry) => {
    const where = entry.position ? `${entry.position.file}:${entry.position.line}:${entry.position.column}: ` : '';
    return fail('variable', `${where}${entry.message}`, `export ${entry.name}=… or add it to .env beside stack.yaml`);
  });
}
