import type { TopRow } from './table.js';

export type Verb = 'start' | 'stop' | 'restart' | 'enable' | 'disable';

/** What a verb moves besides the service it names, in words for a confirmation. */
export interface Moves {
  verb: 'starts' | 'stops';
  names: readonly string[];
  length: number;
}

const isUp = (row: TopRow | undefined): boolean => row?.observed === 'running' || row?.observed === 'starting';

/**
 * The services that move with `verb` on `service`, as apply orders them: a stop (or disable) takes
 * down what runs and depends on it, however indirectly; a start (or enable) brings up what it
 * depends on that is not running and stack.yaml wants running, and what stopped only because it
 * stopped. A restart moves the service alone (`stack restart`).
 */
export function movesWith(verb: Verb, service: string, rows: readonly TopRow[], dependsOn: ReadonlyMap<string, readonly string[]>): Moves {
  const byName = new Map(rows.map((row) => [row.name, row]));
  if (verb === 'restart') return { verb: 'starts', names: [], length: 0 };
  if (verb === 'stop' || verb === 'disable') {
    const dependents = new Map<string, string[]>();
    for (const [name, needs] of dependsOn) for (const need of needs) dependents.set(need, [...(dependents.get(need) ?? []), name]);
    const names = reach(service, (name) => dependents.get(name) ?? []).filter((name) => isUp(byName.get(name)));
    return { verb: 'stops', names, length: names.length };
  }
  // Only what stack.yaml wants running starts with it (a dependency kept stopped blocks the start).
  const wanted = (row: TopRow | undefined) => row !== undefined && row.enabled && row.desired === 'running';
  const needed = reach(service, (name) => dependsOn.get(name) ?? []).filter((name) => !isUp(byName.get(name)) && wanted(byName.get(name)));
  // What stopped only because this service stopped starts again with it (`stack start db` undoes `stack stop db`).
  const stoppedWith = rows.filter((row) => row.stoppedWith === service && wanted(row)).map((row) => row.name);
  const names = [...needed, ...stoppedWith.filter((name) => !needed.includes(name))];
  return { verb: 'starts', names, length: names.length };
}

/** Every service reachable from `start` by `next`, nearest first, `start` itself left out. */
function reach(start: string, next: (name: string) => readonly string[]): string[] {
  const seen = new Set([start]);
  const found: string[] = [];
  for (let queue = [...next(start)]; queue.length > 0; ) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    found.push(name);
    queue = [...queue, ...next(name)];
  }
  return found;
}
