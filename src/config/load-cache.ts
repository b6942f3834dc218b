/**
 * What a load of stack.yaml keeps for the next one, and what it must never keep. Pure; the file
 * is src/state/parse-cache.ts's business.
 *
 * Kept: the last text with the snapshot of its parse (parse-snapshot.ts), and the interpolated
 * documents of it that passed validation. Compared as whole strings: nothing can collide.
 * Never kept: anything that holds a secret value of the stack, by the redactor's definition
 * (secrets.ts), nor a stack that marks anything `sensitive:` (a listed field may be any value).
 */

import type { ParsedStack, ParseSnapshot } from './parsed.js';
import { keptSnapshot } from './parse-snapshot.js';
import { collectSecrets } from './secrets.js';
import { isSensitiveKey, MIN_REDACTED_LENGTH } from './sensitive.js';
import type { VariableUse } from './interpolate-document.js';
import type { Desired } from '../model/desired.js';
import type { ProviderCatalog } from '../model/provider-module.js';
import { envMaps } from './literal-secrets.js';

export interface LoadCache {
  text: string;
  parse: ParseSnapshot;
  /** JSON of validated documents (after interpolation), newest first. */
  valid: string[];
}

/** Save a new cache, or forget the saved one (it would now hold a secret). */
export type CacheUpdate = { save: LoadCache } | { forget: true };

/** Documents kept per text: one for each environment a stack is loaded with, within reason. */
const VALID_DOCUMENTS_KEPT = 2;

export interface SuccessfulLoad {
  text: string;
  /** The saved cache, when it was of this text. */
  hit: LoadCache | undefined;
  parsed: ParsedStack;
  /** JSON of the interpolated document. */
  documentJson: string;
  /** `documentJson` was listed as valid: validation was skipped. */
  knownValid: boolean;
  desired: Desired;
  uses: readonly VariableUse[];
  /** The providers whose keys hold env maps (a secret-named key's bare value is looked for there). */
  providers: ProviderCatalog;
}

/** What to do with the cache after a load that succeeded; undefined: nothing to change. */
export function cacheAfterLoad(load: SuccessfulLoad): CacheUpdate | undefined {
  const { text, hit, parsed, documentJson } = load;
  const secrets = secretFinder([...collectSecrets(load.desired), ...load.uses.filter((use) => use.sensitive).map((use) => use.value)]);
  if (listsSensitive(parsed.document) || holdsBareSecret(parsed.document, load.providers) || secrets.inText(text) || secrets.inJson(JSON.stringify(parsed.document))) {
    return hit ? { forget: true } : undefined;
  }
  const valid = secrets.inJson(documentJson) ? undefined : documentJson;
  if (hit) {
    // A document kept from another environment may hold a value that has become a secret since
    // (an env file now holds it under a secret name): it is dropped, never kept on.
    const kept = hit.valid.filter((json) => json !== valid && !secrets.inJson(json));
    const next = (valid === undefined ? kept : [valid, ...kept]).slice(0, VALID_DOCUMENTS_KEPT);
    const unchanged = next.length === hit.valid.length && next.every((json, index) => json === hit.valid[index]);
    return unchanged ? undefined : { save: { ...hit, valid: next } };
  }
  const parse = parsed.snapshot?.();
  return parse ? { save: { text, parse: keptSnapshot(parse), valid: valid === undefined ? [] : [valid] } } : undefined;
}

// A secret of MIN_REDACTED_LENGTH or more is looked for anywhere (comments included); a shorter
// one (`1`, `dev`) only as a whole JSON string value, or it would be found everywhere.
function secretFinder(values: readonly string[]): { inText: (text: string) => boolean; inJson: (json: string) => boolean } {
  const secrets = values.filter((value) => value !== '');
  const long = secrets.filter((value) => value.length >= MIN_REDACTED_LENGTH);
  const inJsonForms = [...long.map((value) => JSON.stringify(value).slice(1, -1)), ...secrets.filter((value) => value.length < MIN_REDACTED_LENGTH).map((value) => JSON.stringify(value))];
  return {
    inText: (text) => long.some((value) => text.includes(value)),
    inJson: (json) => inJsonForms.some((form) => json.includes(form)),
  };
}

/**
 * Whether a secret-named env key holds a short number or boolean (`DB_PASSWORD: 123` unquoted):
 * the document holds it as `123`, which no whole-string form finds, and a bare `123` is found
 * everywhere.
 */
function holdsBareSecret(document: unknown, providers: ProviderCatalog): boolean {
  return envMaps(document, providers).some(({ env }) => Object.entries(env).some(([key, value]) => (typeof value === 'number' || typeof value === 'boolean') && isSensitiveKey(key, [])));
}

function servicesOf(document: unknown): unknown[] {
  const services = (document as { services?: unknown } | null)?.services;
  return typeof services === 'object' && services !== null ? Object.values(services) : [];
}

function listsSensitive(document: unknown): boolean {
  return servicesOf(document).some((service) => {
    const sensitive = (service as { sensitive?: unknown } | null)?.sensitive;
    return Array.isArray(sensitive) && sensitive.length > 0;
  });
}
