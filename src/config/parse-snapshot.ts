/**
 * A parse of stack.yaml in a form that can be saved as JSON and used instead of parsing the same
 * text again: the plain value, and the position of every key path the value holds. Pure.
 *
 * Parsing with positions is the largest part of loading stack.yaml (~25 ms of `stack status`
 * with 50 services on the 2-core machine); a snapshot is read in well under 1 ms. It holds
 * nothing that is not in the text itself (interpolation comes after), and is made only of a
 * text that parsed without any issue.
 */

import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { SourcePosition } from '../errors.js';
import type { KeyPath, Locate } from './issues.js';

export interface ParseSnapshot {
  document: unknown;
  positions: PositionTree;
}

/**
 * One node of the parsed document: `at` is [line, column] of its key (or list item), followed by
 * [line, column] of its value when that starts elsewhere; `map` and `list` hold its children.
 */
export interface PositionTree {
  at: number[];
  map?: Record<string, PositionTree>;
  list?: PositionTree[];
}

/** More nodes than this (aliases expanded) are not worth saving. */
const MAX_NODES = 200_000;

/**
 * The snapshot of a parsed document, or undefined when its value would not come back the same
 * from JSON (a non-finite number, say) or it is too large. Positions follow parse.ts's `locateIn`:
 * aliases are followed into their anchor, a map entry points at its key and its value.
 */
export function takeSnapshot(doc: Document, document: unknown, lineCounter: LineCounter): ParseSnapshot | undefined {
  if (!survivesJson(document)) return undefined;
  const at = (offset: number): number[] => {
    const { line, col } = lineCounter.linePos(offset);
    return [line, col];
  };
  let nodes = 0;
  const tree = (node: unknown, position: number[], fallback: number): PositionTree | undefined => {
    nodes += 1;
    if (nodes > MAX_NODES) return undefined;
    const target = isAlias(node) ? node.resolve(doc) : node;
    const out: PositionTree = { at: position };
    if (isMap(target)) {
      const map: Record<string, PositionTree> = {};
      for (const pair of target.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (Object.hasOwn(map, key)) continue; // the first entry of a key wins, as in locateIn
        const keyOffset = pair.key.range?.[0] ?? fallback;
        const valueOffset = (pair.value as Node | null)?.range?.[0] ?? keyOffset;
        const child = tree(pair.value, valueOffset === keyOffset ? at(keyOffset) : [...at(keyOffset), ...at(valueOffset)], keyOffset);
        if (!child) return undefined;
        // defineProperty: a `__proto__` key stays a key.
        Object.defineProperty(map, key, { value: child, enumerable: true, writable: true, configurable: true });
      }
      out.map = map;
    } else if (isSeq(target)) {
      const list: PositionTree[] = [];
      for (const item of target.items) {
        const offset = (item as Node | null)?.range?.[0] ?? fallback;
        const child = tree(item, at(offset), offset);
        if (!child) return undefined;
        list.push(child);
      }
      out.list = list;
    }
    return out;
  };
  const start = (doc.contents as Node | null)?.range?.[0] ?? 0;
  const positions = tree(doc.contents, at(start), start);
  return positions ? { document, positions } : undefined;
}

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

/** True when JSON.parse(JSON.stringify(value)) is equal to `value`, key order included. */
function survivesJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) return value.every(survivesJson);
  if (typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every(survivesJson);
}
