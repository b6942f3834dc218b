/**
 * The secrets written in a stack file that did not load: issues quote values (a `cwd` path, a
 * port), and with no Desired to ask, the secrets come from the raw document. Pure.
 */

import { parseEnvFile } from './env-files.js';
import { isSensitiveKey } from './sensitive.js';
import { asRecord } from './service-rules.js';

/** Sensitive `env:` and `compose.env` values, by key or `sensitive:`, and every env file value. */
export function literalSecrets(document: unknown, envFileTexts: ReadonlyMap<string, string>): string[] {
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
  // Every key of an env file is sensitive.
  for (const [path, text] of envFileTexts) for (const entry of Object.values(parseEnvFile(text, path).env)) found.add(entry);
  return [...found].filter((secret) => secret !== '');
}
