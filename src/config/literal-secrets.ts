/**
 * The secrets written in a stack file that did not load: issues quote values (a `cwd` path, a
 * port), and with no Desired to ask, the secrets come from the raw document. Pure.
 */

import type { ProviderCatalog } from '../model/provider-module.js';
import { processValueKeys, valueAt } from './process-values.js';
import { isSensitiveKey } from './sensitive.js';
import { asRecord } from './service-rules.js';

/**
 * Sensitive values of the providers' env maps (`env:`, `compose.env`), by key or `sensitive:`.
 * Not env files' values: no issue quotes them, and searching for every one (`value`, `true`)
 * would mangle the messages.
 */
export function literalSecrets(document: unknown, providers: ProviderCatalog): string[] {
  const found = new Set<string>();
  for (const { service, env } of envMaps(document, providers)) {
    const sensitive = Array.isArray(service.sensitive) ? service.sensitive.filter((key): key is string => typeof key === 'string') : [];
    for (const [key, entry] of Object.entries(env)) {
      if (['string', 'number', 'boolean'].includes(typeof entry) && isSensitiveKey(key, sensitive)) found.add(String(entry));
    }
  }
  return [...found].filter((secret) => secret !== '');
}

/** Each env map the providers' keys hold in each service of a raw document, with its service. */
export function envMaps(document: unknown, providers: ProviderCatalog): { service: Record<string, unknown>; env: Record<string, unknown> }[] {
  const paths = processValueKeys(providers).env;
  return Object.values(asRecord(asRecord(document)?.services) ?? {}).flatMap((value) => {
    const service = asRecord(value);
    if (!service) return [];
    return paths.flatMap((path) => {
      const env = asRecord(valueAt(service, path));
      return env ? [{ service, env }] : [];
    });
  });
}
