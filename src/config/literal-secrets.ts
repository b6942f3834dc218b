/**
 * The secrets written in a stack file that did not load: issues quote values (a `cwd` path, a
 * port), and with no Desired to ask, the secrets come from the raw document. Pure.
 */

import { isSensitiveKey } from './sensitive.js';
import { asRecord } from './service-rules.js';

/**
 * Sensitive `env:` and `compose.env` values, by key or `sensitive:`. Not env files' values: no
 * issue quotes them, and searching for every one (`value`, `true`) would mangle the messages.
 */
export function literalSecrets(document: unknown): string[] {
  const found = new Set<string>();
  for (const value of Object.values(asRecord(asRecord(document)?.services) ?? {})) {
    const service = asRecord(value);
    const sensitive = Array.isArray(service?.sensitive) ? service.sensitive.filter((key): key is string => typeof key === 'string') : [];
    for (const env of [service?.env, asRecord(service?.compose)?.env]) {
      for (const [key, entry] of Object.entries(asRecord(env) ?? {})) {
        if (['string', 'number', 'boolean'].includes(typeof entry) && isSensitiveKey(key, sensitive)) found.add(String(entry));
      }
    }
  }
  return [...found].filter((secret) => secret !== '');
}
