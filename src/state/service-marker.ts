import { stateKeyOf } from '../os/state-key.js';
import { SERVICE_OR_REPLICA_NAME } from '../config/replicas.js';
import type { ProviderName } from '../model/desired.js';
import type { AppliedService } from '../model/observed.js';

/**
 * Every process service is spawned with these variables, so a process whose pid never reached
 * the state file (stack killed between spawn and write, or the file lost) can still be found in
 * /proc/<pid>/environ and adopted instead of started twice.
 */
export const SERVICE_ID_VAR = 'STACK_SERVICE_ID';
/** `<specHash>.<installHash>` of the spec the process was started with: adopting it keeps it. */
export const SPEC_HASH_VAR = 'STACK_SPEC_HASH';

/**
 * The provider whose runs carry the marker (providers/process/start.ts spawns them with
 * `markerEnv`). State sits below the providers and cannot ask them: the marker, which is state's,
 * names the one provider that sets it, and the records of that provider are what a scan of /proc
 * accounts for and adopts into (docs/architecture.md, "Allowed imports").
 */
export const MARKED_PROVIDER: ProviderName = 'process';

/** Whether `record` is of a service whose runs carry the marker: a lost run of it is found by a scan of /proc. */
export function marksItsRuns(record: Pick<AppliedService, 'provider'>): boolean {
  return record.provider === MARKED_PROVIDER;
}

export { stateKeyOf, stateKeysOf } from '../os/state-key.js';

export interface SpecHashes {
  specHash: string;
  installHash: string;
}

/** The environment variables that mark a run of `service` of the stack kept in `stateDir`. */
export function markerEnv(stateDir: string, service: string, spec: SpecHashes): Record<string, string> {
  return { [SERVICE_ID_VAR]: `${stateKeyOf(stateDir)}/${service}`, [SPEC_HASH_VAR]: `${spec.specHash}.${spec.installHash}` };
}

/**
 * `env` without the marker: what runs in a service's environment but is no run of it (`stack
 * exec`) must never be adopted or stopped as one, even when stack itself was started by a
 * service and so inherited its marker.
 */
export function withoutMarker(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && key !== SERVICE_ID_VAR && key !== SPEC_HASH_VAR) kept[key] = value;
  }
  return kept;
}

export interface Marker {
  service: string;
  spec?: SpecHashes;
}

/** Reads the marker of this state folder out of a NUL-separated environ block, if present. */
export function markerIn(environ: string, stateKeys: string | readonly string[]): Marker | undefined {
  const idPrefixes = (typeof stateKeys === 'string' ? [stateKeys] : stateKeys).map((key) => `${SERVICE_ID_VAR}=${key}/`);
  const specPrefix = `${SPEC_HASH_VAR}=`;
  let service: string | undefined;
  let spec: SpecHashes | undefined;
  for (const entry of environ.split('\0')) {
    const idPrefix = idPrefixes.find((prefix) => entry.startsWith(prefix));
    if (idPrefix) service = entry.slice(idPrefix.length);
    else if (entry.startsWith(specPrefix)) {
      const [specHash, installHash] = entry.slice(specPrefix.length).split('.');
      if (specHash && installHash) spec = { specHash, installHash };
    }
  }
  if (!service || !SERVICE_OR_REPLICA_NAME.test(service)) return undefined;
  return spec ? { service, spec } : { service };
}
