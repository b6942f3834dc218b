import type { Desired } from '../model/desired.js';
import { findStackFile } from '../load/find-stack.js';
import { readStack } from '../load/read-stack.js';
import { PROVIDERS } from '../providers/registry.js';
import { parseCacheFor } from '../state/parse-cache.js';

/** Where a stack file is looked for: `--file`, else `STACK_FILE`, else cwd and its parents. */
export interface FindOptions {
  file?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The stack file's path (exit 3 when there is none); nothing is read. */
export function findStack(options: FindOptions = {}): string {
  return findStackFile({ cwd: options.cwd ?? process.cwd(), explicit: options.file, env: options.env ?? process.env });
}

/**
 * Reads and validates the stack file at `file` with every provider stack knows; afresh (no parse
 * cache) unless `cached`. `checkPlugins`/`checkFolders: false` skip what only matters on this
 * machine (`stack diff` compares what files want).
 */
export function readStackFile(file: string, options: { checkPlugins?: boolean; checkFolders?: boolean; cached?: boolean } = {}): Promise<Desired> {
  const { cached, ...rest } = options;
  const cache = cached ? parseCacheFor(file, process.env) : undefined;
  return readStack(file, { providers: PROVIDERS, ...rest, ...(cache ? { cache } : {}) });
}

/** stack.yaml's JSON Schema, with every provider's service fields (for editors). Loaded when called: it brings zod. */
export async function stackSchema(): Promise<Record<string, unknown>> {
  return (await import('../config/json-schema.js')).stackJsonSchema(PROVIDERS);
}
