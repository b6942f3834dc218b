/** Small, fast, deterministic string hashes for spec change detection. Not cryptographic. */

// The hash itself lives in model/ so the layers below reconcile (load: a folder's mark) use it too.
export { hashString } from '../model/hash.js';

/** JSON of a flat string record with its keys sorted, so key order never changes a hash. */
export function canonicalJson(record: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key] as string;
  return JSON.stringify(sorted);
}
