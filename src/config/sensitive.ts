/** Which values are secrets, and keeping them out of text meant for people. Pure. */

/** Keys whose values are secrets by name alone. */
export const SENSITIVE_KEY = /(SECRET|TOKEN|PASSW(OR)?D|API_?KEY|PRIVATE|CREDENTIAL)/i;

/** Shown instead of a secret, everywhere. */
export const REDACTED = '(sensitive)';

/**
 * Secrets shorter than this are not searched for in free text (a value like `1` or `dev` would
 * match all over the output); as field values they are still never printed.
 */
export const MIN_REDACTED_LENGTH = 4;

/** True when an env key (or a variable name) names a secret, by pattern or by the service's `sensitive:` list. */
export function isSensitiveKey(key: string, sensitive: readonly string[]): boolean {
  return sensitive.includes(key) || SENSITIVE_KEY.test(key);
}

/**
 * Replaces every secret in `text` with `(sensitive)`, also in the escaped forms our renderers
 * produce: JSON strings and shell-quoted argv (backslash- or double-quote-escaped).
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const form of secretForms(secrets)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/** A `redactText` bound to `secrets`, the forms computed once. */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const forms = secretForms(secrets);
  if (forms.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out;
  };
}

// Longest first, so a secret containing another is replaced whole.
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_REDACTED_LENGTH) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(secret.replace(/([A-Za-z]:)?([#!"$&'()*,:;<=>?@[\\\]^`{|}])/g, '$1\\$2'));
    forms.add(secret.replace(/(["\\$`!])/g, '\\$1'));
  }
  return [...forms].filter((form) => form.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}
