/**
 * A parse of stack.yaml in a form that can be saved as JSON and used instead of parsing the same
 * text again: the plain value, and the position of every key path the value holds. Pure.
 *
 * Parsing with positions is the largest part of loading stack.yaml (~25 ms of `stack status`
 * with 50 services on the 2-core machine); a snapshot is read in well under 1 ms. It holds
 * nothing that is not in the text itself (interpolation comes after), and is made only of a
 * text that parsed without any issue. Taken by parse.ts; read here without loading yaml.
 */

import type { SourcePosition } from '../model/errors.js';
import type { KeyPath, Locate } from './issues.js';
import type { ParsedStack, ParseSnapshot, PositionTree } from './parsed.js';

/** `locate` and `locateValue` over a snapshot's positions, naming `file`. */
export function snapshotLocators(positions: PositionTree | string, file: string, services?: Readonly<Record<string, number[]>>): { locate: Locate; locateValue: Locate } {
  // Read on the first question; JSON that does not parse (a damaged cache) locates nothing.
  let tree: PositionTree | null | undefined;
  const treeOf = (): PositionTree | null => {
    if (tree === undefined) {
      try {
        tree = typeof positions === 'string' ? (JSON.parse(positions) as PositionTree) : positions;
      } catch {
        tree = null;
      }
    }
    return tree;
  };
  const find = (path: KeyPath, value: boolean): SourcePosition | undefined => {
    const service = !value && path.length === 2 && path[0] === 'services' && services && Object.hasOwn(services, String(path[1])) ? services[String(path[1])] : undefined;
    if (Array.isArray(service) && typeof service[0] === 'number' && typeof service[1] === 'number') return { file, line: service[0], column: service[1] };
    let node: PositionTree | undefined | null = treeOf();
    if (typeof node !== 'object' || node === null) return undefined;
    for (const segment of path) {
      if (node.map) node = Object.hasOwn(node.map, String(segment)) ? node.map[String(segment)] : undefined;
      else if (node.list && typeof segment === 'number') node = node.list[segment];
      else node = undefined;
      if (!node) return undefined;
    }
    const [line, column] = value && node.at.length === 4 ? node.at.slice(2) : node.at;
    return line === undefined || column === undefined ? undefined : { file, line, column };
  };
  return { locate: (path) => find(path, false), locateValue: (path) => find(path, true) };
}

/** The parse a snapshot holds, as parseStackText returned it for the same text. */
export function parsedFromSnapshot(snapshot: ParseSnapshot, file: string): ParsedStack {
  return { document: snapshot.document, issues: [], ...snapshotLocators(snapshot.positions, file, snapshot.services), snapshot: () => snapshot };
}

/**
 * The snapshot as the parse cache keeps it: the tree as JSON text, each service's position beside
 * it (see ParseSnapshot).
 */
export function keptSnapshot(snapshot: ParseSnapshot): ParseSnapshot {
  if (typeof snapshot.positions === 'string') return snapshot;
  const declared = snapshot.positions.map?.services?.map ?? {};
  const services: Record<string, number[]> = {};
  for (const name of Object.keys(declared)) {
    const at = declared[name]?.at;
    if (at) services[name] = at.slice(0, 2);
  }
  return { document: snapshot.document, positions: JSON.stringify(snapshot.positions), services };
}

/** True when JSON.parse(JSON.stringify(value)) is equal to `value`, key order included. */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(survivesJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(survivesJson);
}
