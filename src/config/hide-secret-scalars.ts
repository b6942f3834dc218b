import { isScalar, parseDocument, visit } from 'yaml';
import { MIN_REDACTED_LENGTH } from './sensitive.js';

export const HIDDEN = '(sensitive)';

/**
 * A YAML text with every scalar value that holds a secret written `(sensitive)`, its source
 * replaced where it stands: a value is matched as YAML decodes it, so an escaped form
 * (`"caf\u00e9"`, `'it''s'`, a folded line) is found where a search of the text would miss it.
 * Keys are left alone; a text that does not parse is returned as it is (the caller still redacts
 * it as text). Pure.
 */
export function hideSecretScalars(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  const document = parseDocument(text, { uniqueKeys: false });
  const cuts: [number, number][] = [];
  visit(document, {
    Scalar(key, node) {
      if (key === 'key' || !isScalar(node) || !node.range || typeof node.value !== 'string') return;
      const value = node.value;
      if (!secrets.some((secret) => value === secret || (secret.length >= MIN_REDACTED_LENGTH && value.includes(secret)))) return;
      // A block scalar's source ends with its line break: that stays.
      const [start, end] = node.range;
      cuts.push([start, start + text.slice(start, end).trimEnd().length]);
    },
  });
  let shown = text;
  for (const [start, end] of cuts.sort((a, b) => b[0] - a[0])) shown = `${shown.slice(0, start)}${HIDDEN}${shown.slice(end)}`;
  return shown;
}
