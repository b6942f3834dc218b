/** The loader as one readable pipeline: parse → validate → check semantics → resolve. Pure. */

import type { ConfigIssue } from '../errors.js';
import { listEnvFiles } from './env-files.js';
import { sortIssues } from './issues.js';
import { parseStackText } from './parse.js';
import { dirname } from './paths.js';
import { resolveStack } from './resolve.js';
import { checkSemantics } from './semantic.js';
import type { Desired } from './types.js';
import { validateStack } from './validate.js';

export interface LoadOptions {
  /** The name positions carry (e.g. `stack.yaml` relative to the cwd); defaults to `file`. */
  displayFile?: string;
}

export interface Loaded {
  /** Present exactly when `issues` is empty. */
  desired?: Desired;
  /** Every problem found, in reading order. */
  issues: ConfigIssue[];
  /** Absolute paths of the env files the text refers to; pass their texts in `envFileTexts`. */
  envFilesWanted: string[];
}

/**
 * Loads stack.yaml from its text. Never throws for any input text.
 * Call it once, read the files in `envFilesWanted`, and call it again with their texts.
 */
export function loadStackText(
  text: string,
  file: string,
  envFileTexts: ReadonlyMap<string, string> = new Map(),
  options: LoadOptions = {},
): Loaded {
  const parsed = parseStackText(text, options.displayFile ?? file);
  if (parsed.document === undefined || parsed.issues.length > 0) {
    return { issues: sortIssues(parsed.issues), envFilesWanted: [] };
  }
  const envFilesWanted = listEnvFiles(parsed.document, dirname(file));
  const validated = validateStack(parsed.document, parsed.locate);
  const issues = [...validated.issues, ...checkSemantics(parsed.document, parsed.locate)];
  if (!validated.value || issues.length > 0) return { issues: sortIssues(issues), envFilesWanted };

  const resolved = resolveStack(validated.value, { file, envFileTexts, locate: parsed.locate });
  return { desired: resolved.desired, issues: sortIssues(resolved.issues), envFilesWanted };
}
