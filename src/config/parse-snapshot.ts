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
export function snapshotLocators(positions: PositionTree, file: string): { locate: Locate; locateValue: Locate } {
  const find = (path: KeyPath, value: boolean): SourcePosition | undefined => {
    let node: PositionTree | undefined = positions;
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
  return { document: snapshot.document, issues: [], ...snapshotLocators(snapshot.positions, file), snapshot: () => snapshot };
}

/** True when JSON.parse(JSON.stringify(value)) is equal to `value`, key order included. */
export function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(survivesJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(survivesJson);
}
