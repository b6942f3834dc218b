/**
 * What a service's record keeps of stack.yaml beyond its spec: how to stop it and what it
 * depends on. Neither restarts a service when edited, so neither is in the spec's fields; both
 * are needed to stop a service the file no longer describes (removed from it, or a file that
 * does not load when `stack down` runs) as the file last said. Pure.
 */
import { DEFAULT_STOP_SPEC } from '../config/defaults.js';
import type { GraphNode } from '../config/graph.js';
import type { DesiredService, StopSpec } from '../model/desired.js';
import { specOf } from './spec.js';
import type { AppliedService } from '../model/observed.js';

type Declared = Pick<DesiredService, 'stop' | 'dependsOn'>;

/** The declarations a record keeps of a service. */
export function declarationsOf(service: Declared): Required<Pick<AppliedService, 'stop' | 'dependsOn'>> {
  const { signal, timeoutMs, timeoutWritten } = service.stop;
  return { stop: { signal, timeoutMs, ...(timeoutWritten ? { timeoutWritten } : {}) }, dependsOn: [...service.dependsOn] };
}

/** Whether a record keeps other declarations than stack.yaml's service now has. */
export function declarationsDiffer(record: AppliedService, service: Declared): boolean {
  const { stop, dependsOn } = record;
  return (
    stop?.signal !== service.stop.signal ||
    stop.timeoutMs !== service.stop.timeoutMs ||
    (stop.timeoutWritten === true) !== (service.stop.timeoutWritten === true) ||
    dependsOn?.length !== service.dependsOn.length ||
    dependsOn.some((name, index) => name !== service.dependsOn[index])
  );
}

/** The services whose records keep other declarations than stack.yaml has now. */
export function withStaleDeclarations<T extends Declared & { name: string }>(services: readonly T[], applied: { get(name: string): AppliedService | undefined }): T[] {
  return services.filter((service) => {
    const record = applied.get(service.name);
    return record !== undefined && declarationsDiffer(record, service);
  });
}

/**
 * The services whose records an older stack wrote with unkeyed digests of their secrets, for the
 * spec stack.yaml still has: rewritten keyed (their sensitive fields sealed first).
 */
export function withUnkeyedDigests(services: readonly DesiredService[], applied: { get(name: string): AppliedService | undefined }): DesiredService[] {
  return services.filter((service) => {
    const record = applied.get(service.name);
    const legacy = record === undefined || service.sealed === undefined ? undefined : specOf(service).legacy;
    return legacy !== undefined && record?.specHash === legacy.specHash && record.specHash !== specOf(service).specHash;
  });
}

/** How to stop a service: as stack.yaml says, else as its record says, else the default. */
export function stopSpecOf(service: Declared | undefined, record: AppliedService | undefined): StopSpec {
  return service?.stop ?? record?.stop ?? DEFAULT_STOP_SPEC;
}

/** The recorded services stack.yaml does not have, as graph nodes with their recorded dependencies. */
export function recordedOnly(applied: ReadonlyMap<string, AppliedService>, inFile: { has(name: string): boolean }): GraphNode[] {
  return [...applied].filter(([name]) => !inFile.has(name)).map(([name, record]) => ({ name, dependsOn: record.dependsOn ?? [] }));
}

/** What a service depends on: as stack.yaml says, else as its record says. */
export function declaredOrRecordedDeps(
  name: string,
  desired: ReadonlyMap<string, Declared>,
  applied: { get(name: string): AppliedService | undefined },
): readonly string[] {
  return desired.get(name)?.dependsOn ?? applied.get(name)?.dependsOn ?? [];
}
