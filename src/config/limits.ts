/** Size limits of the files the loader reads. */

/** stack.yaml, env files and plugin.yaml: larger ones are reported, not parsed. */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;
