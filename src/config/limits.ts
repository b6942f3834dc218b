/** Size limits of the files the loader reads. */

/** stack.yaml, env files and plugin.yaml: larger ones are reported, not parsed. */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;

/**
 * Values that expanding aliases may add to a document (a map entry, a list item, a scalar each
 * count one). Real reuse stays far below (150 services merging a 30-value block add 4,500); an
 * alias bomb goes far above (nine levels of nine: 387 million).
 */
export const MAX_ALIAS_GROWTH = 100_000;
