/** Hints for YAML errors people make by habit rather than by design. Pure. */

import { readsAsName } from './env-files.js';
import { isSensitiveKey, SENSITIVE_KEY } from './sensitive.js';

/** yaml's codes for `: ` inside a plain value: in a block map, and inside `{ }`. */
const COLON_IN_VALUE = new Set(['BLOCK_AS_IMPLICIT_KEY', 'BLOCK_IN_FLOW']);
const MAX_SHOWN = 80;

/**
 * For `command: echo boom: x`, where YAML reads a second `: ` as a nested map: quote the value.
 * Said only when the would-be nested key holds a space (`services: web: x` meant nesting); the
 * quoted line is shown only when nothing in it could be a secret: the file did not load, so no
 * redactor knows its secrets.
 */
export function yamlErrorHint(code: string, text: string, start: number, end: number): string | undefined {
  if (!COLON_IN_VALUE.has(code)) return undefined;
  const entry = entryAt(code, text, start, end);
  if (!entry || !/\s/.test(entry.value.split(': ')[0] ?? '')) return undefined;
  const general = 'a value holding ": " must be quoted';
  return mayShow(entry.key, entry.value) ? `${general}: ${entry.key}: ${JSON.stringify(entry.value)}` : general;
}

/** Short, no secret's name (`Authorization: Bearer …`, `TOKEN=`), every word a plain word rather than a token. */
function mayShow(key: string, value: string): boolean {
  if (value.length > MAX_SHOWN || isSensitiveKey(key, []) || SENSITIVE_KEY.test(value) || /authori[sz]ation|bearer|basic\s/i.test(value)) return false;
  // eslint-disable-next-line no-control-regex -- a control character is never echoed
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return false;
  return value.split(/[^A-Za-z0-9_]+/).every((word) => word === '' || readsAsName(word));
}

/** The key and plain value of the line where yaml stopped (`start`, `end`: its error's range). */
function entryAt(code: string, text: string, start: number, end: number): { key: string; value: string } | undefined {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineEnd = text.indexOf('\n', start) === -1 ? text.length : text.indexOf('\n', start);
  const key = /(?:^|[\s{,])([A-Za-z_][A-Za-z0-9_-]*):\s+$/.exec(text.slice(lineStart, start))?.[1];
  // In a block map the value runs to the line's end (less a comment); inside { } yaml's range ends it.
  const rest = text.slice(start, code === 'BLOCK_IN_FLOW' ? Math.min(end, lineEnd) : lineEnd);
  const value = rest.replace(/\s+#.*$/, '').trim();
  if (!key || value === '' || /^["'[{|>&*!]/.test(value)) return undefined;
  return { key, value };
}
