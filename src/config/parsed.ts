/**
 * What a parse of stack.yaml gives, whether parse.ts took it from the text or parse-snapshot.ts
 * from a saved snapshot: both build it, so it lives apart from either (no import cycle).
 */

import type { ConfigIssue } from '../model/errors.js';
import type { Locate } from './issues.js';

export interface ParsedStack {
  /** The plain JS value; absent when the text is not usable YAML. */
  document?: unknown;
  issues: ConfigIssue[];
  /** Where a key path is declared (a map entry's key). */
  locate: Locate;
  /** Where a key path's value starts (for errors about the value's text). */
  locateValue: Locate;
  /** A snapshot of this parse to save, when it had no issues (see parse-snapshot.ts). */
  snapshot?: () => ParseSnapshot | undefined;
}

export interface ParseSnapshot {
  document: unknown;
  /**
   * A string is the tree's JSON, as the parse cache keeps it: read only once a position is asked
   * for (a load that finds no issue asks for none), so reading the cache makes no object of it.
   * With 1,000 services the tree is ~110 KB of JSON: ~10 ms of JSON.parse in a new process.
   */
  positions: PositionTree | string;
  /**
   * Where each service is declared (its `at` in the tree), kept beside the tree's JSON text: every
   * load records each service's position, and this answers that without reading the tree.
   */
  services?: Record<string, number[]>;
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
