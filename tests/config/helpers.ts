import { loadStackText } from '../../src/config/load.js';
import type { Loaded } from '../../src/config/load.js';
import { PROVIDERS } from '../../src/providers/registry.js';

export const FILE = '/home/ada/devstack/stack.yaml';

/** Joins lines so tests can count lines and columns by eye. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export function load(text: string, envFileTexts: ReadonlyMap<string, string> = new Map()): Loaded {
  return loadStackText(text, FILE, envFileTexts, { providers: PROVIDERS, displayFile: 'stack.yaml' });
}

/** Issues as `line:col message` strings: one comparable line each. */
export function issueLines(loaded: Pick<Loaded, 'issues'>): string[] {
  return loaded.issues.map((issue) => `${issue.position?.line}:${issue.position?.column} ${issue.message}`);
}
