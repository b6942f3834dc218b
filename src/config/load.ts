/** The loader with its parser and validator: what everything but load/read-stack.ts calls. Pure. */

import { loadStackWith } from './load-pipeline.js';
import type { Loaded, LoadOptions } from './load-pipeline.js';
import { parseStackText } from './parse.js';
import { validateStack } from './validate.js';

export type { Loaded, LoadOptions } from './load-pipeline.js';

/**
 * Loads stack.yaml from its text. Never throws for any input text.
 * Call it once, read the files in `envFilesWanted`, and call it again with their texts.
 */
export function loadStackText(text: string, file: string, envFileTexts: ReadonlyMap<string, string>, options: LoadOptions): Loaded {
  // Given both parts, it never answers `{ needs }`.
  return loadStackWith({ parse: parseStackText, validate: validateStack }, text, file, envFileTexts, options) as Loaded;
}
