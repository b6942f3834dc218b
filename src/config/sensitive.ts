/** Which values are secrets, and keeping them out of text meant for people. Pure. */

import type { CutEdges, Redact } from '../model/redact.js';
import { CUT_MARK, escapeControls } from './issues.js';

export { CUT_MARK };

/** Keys whose values are secrets by name alone. */
export const SENSITIVE_KEY = /(SECRET|TOKEN|PASSW(OR)?D|API_?KEY|PRIVATE|CREDENTIAL)/i;

/** Shown instead of a secret, everywhere. */
export const REDACTED = '(sensitive)';

/**
 * Secrets shorter than this are not searched for in free text (a value like `1` or `dev` would
 * match all over the output); as field values they are still never printed. The same holds for
 * each line of a multi-line secret.
 */
export const MIN_REDACTED_LENGTH = 4;

/**
 * Where text was cut (a buffer limit, an excerpt), a piece of a secret may sit at the edge: the
 * beginning of one where the text stops, the end of one where it resumes. Such a piece of this
 * many characters or more is replaced too, so at most 2 characters of a secret survive a cut.
 */
export const MIN_FRAGMENT_LENGTH = 3;

export type { CutEdges, Redact } from '../model/redact.js';

/** Leaves text as it is: for callers that hold no secrets (tests, `stack init`). */
import { redactNothing } from '../model/redact.js';
export { redactNothing };

/** True when an env key (or a variable name) names a secret, by pattern or by the service's `sensitive:` list. */
export function isSensitiveKey(key: string, sensitive: readonly string[]): boolean {
  return sensitive.includes(key) || SENSITIVE_KEY.test(key);
}

/**
 * Replaces every secret in `text` with `(sensitive)`, also in the escaped forms our renderers
 * produce: JSON strings and shell-quoted argv (backslash- or double-quote-escaped).
 */
export function redactText(text: string, secrets: readonly string[], cut?: CutEdges): string {
  return createRedactor(secrets)(text, cut);
}

/**
 * A redactor bound to `secrets`, the forms computed once. A multi-line secret is also looked for
 * line by line (output is often handed over a line at a time); with `cut`, a fragment at a cut
 * edge is replaced as MIN_FRAGMENT_LENGTH says.
 */
export function createRedactor(secrets: readonly string[]): Redact {
  const forms = secretForms(secrets);
  if (forms.length === 0) return redactNothing;
  return (text, cut) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return cut === undefined ? out : redactEdges(out, forms, cut);
  };
}

function redactEdges(text: string, forms: readonly string[], cut: CutEdges): string {
  if (cut.mark === undefined || cut.mark === '' || !text.includes(cut.mark)) return redactPiece(text, forms, cut.start === true, cut.end === true);
  const pieces = text.split(cut.mark);
  const last = pieces.length - 1;
  return pieces.map((piece, index) => redactPiece(piece, forms, index > 0 || cut.start === true, index < last || cut.end === true)).join(cut.mark);
}

// The longest fragment wins; a piece cut on both sides may be a secret's middle.
function redactPiece(piece: string, forms: readonly string[], start: boolean, end: boolean): string {
  if (piece.length < MIN_FRAGMENT_LENGTH) return piece;
  if (start && end && forms.some((form) => form.includes(piece))) return REDACTED;
  let out = piece;
  if (end) {
    const length = longestEdge(forms, (form, k) => out.endsWith(form.slice(0, k)));
    if (length > 0) out = `${out.slice(0, out.length - length)}${REDACTED}`;
  }
  if (start) {
    const length = longestEdge(forms, (form, k) => out.startsWith(form.slice(form.length - k)));
    if (length > 0) out = `${REDACTED}${out.slice(length)}`;
  }
  return out;
}

/** The longest k (MIN_FRAGMENT_LENGTH ≤ k < the form's length) for which `fits(form, k)` holds, else 0. */
function longestEdge(forms: readonly string[], fits: (form: string, k: number) => boolean): number {
  let best = 0;
  for (const form of forms) {
    for (let k = form.length - 1; k >= Math.max(MIN_FRAGMENT_LENGTH, best + 1); k -= 1) {
      if (fits(form, k)) {
        best = k;
        break;
      }
    }
  }
  return best;
}

// Longest first, so a secret containing another is replaced whole.
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    const lines = secret.split(/\r?\n|\r/);
    for (const value of lines.length > 1 ? [secret, ...lines] : [secret]) {
      if (value.length < MIN_REDACTED_LENGTH) continue;
      forms.add(value);
      forms.add(JSON.stringify(value).slice(1, -1));
      forms.add(escapeControls(value));
      forms.add(value.replace(/([A-Za-z]:)?([#!"$&'()*,:;<=>?@[\\\]^`{|}])/g, '$1\\$2'));
      forms.add(value.replace(/(["\\$`!])/g, '\\$1'));
    }
  }
  return [...forms].filter((form) => form.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}
