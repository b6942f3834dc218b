/** YAML text → a plain value, plus a way to find any key path's line and column. Pure. */

import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Alias, Document, Node, Pair, YAMLMap } from 'yaml';
import type { ConfigIssue, SourcePosition } from '../model/errors.js';
import type { KeyPath, Locate } from './issues.js';
import { aliasGrowth } from './alias-expansion.js';
import { MAX_ALIAS_GROWTH, MAX_STACK_FILE_BYTES } from './limits.js';
import { basename } from './paths.js';
import { survivesJson } from './parse-snapshot.js';
import type { ParsedStack, ParseSnapshot, PositionTree } from './parsed.js';
import { yamlErrorHint } from './yaml-hints.js';

export function parseStackText(text: string, file: string): ParsedStack {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (text.length > MAX_STACK_FILE_BYTES) {
    const issue = { message: `the file is larger than 1 MiB (${text.length} characters)`, path: '', position: { file, line: 1, column: 1 } };
    return { issues: [issue], locate: () => undefined, locateValue: () => undefined };
  }

  // merge: `<<: *common` merges a shared block into a map, as in compose files.
  // yaml's own check of unique keys compares each key with every earlier one (quadratic: 10,000
  // services took ~10 s); findDuplicateKeys does it with a set per map.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false, strict: true, merge: true });
  const pairsOf = keyIndex();
  const locate: Locate = (path) => locateIn(doc, path, at, 'key', pairsOf);
  const locateValue: Locate = (path) => locateIn(doc, path, at, 'value', pairsOf);
  const found = examine(doc);
  const issues: ConfigIssue[] = [...findBadCharacters(text, at), ...found.duplicateKeys.map((offset) => ({ message: 'invalid YAML: map keys must be unique', path: '', position: at(offset) }))];
  for (const problem of [...doc.errors, ...doc.warnings]) {
    const message = problem.code === 'MULTIPLE_DOCS'
      ? `${basename(file)} must be one YAML document; a second document starts here`
      : cleanYamlMessage(problem.message);
    const hint = yamlErrorHint(problem.code, text, problem.pos[0], problem.pos[1]);
    issues.push({ message, path: '', position: at(problem.pos[0]), ...(hint ? { hint } : {}) });
  }
  const { targets } = found;
  issues.push(
    ...found.complexKeys.map((offset) => ({ message: 'a key must be plain text, not a map or a list', path: '', position: at(offset) })),
    ...found.badAliases.map(({ offset, message }) => ({ message, path: '', position: at(offset) })),
  );
  if (issues.length > 0) return { issues, locate, locateValue };
  if (targets.size > 0 && aliasGrowth(doc, MAX_ALIAS_GROWTH, targets) > MAX_ALIAS_GROWTH) {
    const message = `its aliases expand it by more than ${MAX_ALIAS_GROWTH.toLocaleString('en-US')} values; is this an alias bomb?`;
    return { issues: [{ message, path: '', position: at(0) }], locate, locateValue };
  }

  try {
    // The real size was measured above; yaml's own check counts alias uses, which refuses
    // 150 services sharing one anchor.
    const document: unknown = doc.toJS({ maxAliasCount: -1 });
    return { document, issues, locate, locateValue, snapshot: () => takeSnapshot(doc, document, lineCounter) };
  } catch (error) {
    const message = `the YAML could not be read: ${error instanceof Error ? error.message : String(error)}`;
    return { issues: [{ message, path: '', position: at(0) }], locate, locateValue };
  }
}

/** yaml's pretty messages repeat the position and add a code frame; we print our own. */
function cleanYamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  const bare = first.replace(/ at line \d+, column \d+:?$/, '');
  return `invalid YAML: ${bare.charAt(0).toLowerCase()}${bare.slice(1)}`;
}

// YAML allows these code points nowhere (C0 controls but tab and newlines, DEL, lone surrogates,
// U+FFFE/U+FFFF), and yaml does not flag all of them.
function findBadCharacters(text: string, at: (offset: number) => SourcePosition): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (let index = 0; index < text.length && issues.length < 10; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(index + 1))) {
      index += 1;
      continue;
    }
    const control = (unit < 0x20 && unit !== 0x09 && unit !== 0x0a && unit !== 0x0d) || unit === 0x7f;
    if (control || (unit >= 0xd800 && unit <= 0xdfff) || unit === 0xfffe || unit === 0xffff) {
      const code = unit.toString(16).toUpperCase().padStart(4, '0');
      issues.push({ message: `invalid character U+${code} in the file`, path: '', position: at(index) });
    }
  }
  return issues;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/** Where each key that repeats an earlier key of `map` starts, added to `offsets` (a set per map: yaml's `uniqueKeys` check is quadratic). */
function addDuplicateKeys(map: YAMLMap, offsets: number[]): void {
  const seen = new Set<unknown>();
  for (const pair of map.items) {
    if (!isScalar(pair.key)) continue;
    if (seen.has(pair.key.value)) offsets.push(pair.key.range?.[0] ?? 0);
    seen.add(pair.key.value);
  }
}

/** Where each key that repeats an earlier key of its map starts (linear; edit-stack.ts's check). */
export function duplicateKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, { Map: (_, map) => addDuplicateKeys(map, offsets) });
  return offsets;
}

/** What the document holds that its value cannot (offsets), and what each alias stands for. */
interface Findings {
  duplicateKeys: number[];
  /** A map or list used as a key: no JS object has one (yaml would stringify it with a warning). */
  complexKeys: number[];
  /** yaml leaves an unknown alias to toJS, which throws without a position; `a: &x { b: *x }` makes a cyclic value every later step would walk forever. */
  badAliases: { offset: number; message: string }[];
  /** What each alias stands for (undefined: no anchor of that name before it): the last anchor of its name before it, as yaml resolves it. */
  targets: Map<Alias, Node | undefined>;
}

/**
 * Every check of the document's nodes in one walk (four walks were ~45 ms of a cold load of
 * 1,000 services). yaml's `alias.resolve(doc)` walks the whole document per call, so targets are
 * found here too: 2,000 aliases took seconds that way.
 */
function examine(doc: Document): Findings {
  const found: Findings = { duplicateKeys: [], complexKeys: [], badAliases: [], targets: new Map() };
  const anchors = new Map<string, Node>();
  const anchor = (node: Node): void => {
    if (node.anchor) anchors.set(node.anchor, node);
  };
  visit(doc, {
    Map(_, map) {
      anchor(map);
      addDuplicateKeys(map, found.duplicateKeys);
    },
    Seq: (_, seq) => anchor(seq),
    Scalar: (_, scalar) => anchor(scalar),
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key)) found.complexKeys.push(isCollection(pair.key) ? (pair.key.range?.[0] ?? 0) : 0);
    },
    Alias(_, alias, path) {
      const target = anchors.get(alias.source);
      found.targets.set(alias, target);
      const offset = alias.range?.[0] ?? 0;
      if (!target) found.badAliases.push({ offset, message: `unknown alias *${alias.source}: an anchor &${alias.source} must be defined before it is used` });
      else if (path.includes(target)) found.badAliases.push({ offset, message: `the alias *${alias.source} is used inside its own anchor (a recursive alias)` });
    },
  });
  return found;
}

type PairIndex = (map: YAMLMap) => Map<string, Pair>;

/** Each map's pairs by key, made on first lookup: locating every service is then linear, not quadratic. */
function keyIndex(): PairIndex {
  const made = new WeakMap<YAMLMap, Map<string, Pair>>();
  return (map) => {
    let pairs = made.get(map);
    if (!pairs) {
      pairs = new Map();
      for (const item of map.items) {
        if (isPair(item) && isScalar(item.key) && !pairs.has(String(item.key.value))) pairs.set(String(item.key.value), item);
      }
      made.set(map, pairs);
    }
    return pairs;
  };
}

/** Map entries point at their key (or, for `value`, at their value); list items at the item; `[]` at the document's start. */
function locateIn(doc: Document, path: KeyPath, at: (offset: number) => SourcePosition, target: 'key' | 'value', pairsOf: PairIndex): SourcePosition | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = pairsOf(node).get(String(segment));
      if (!pair || !isScalar(pair.key)) return undefined;
      const value = pair.value as Node | null;
      offset = (target === 'value' ? value?.range?.[0] : undefined) ?? pair.key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) return undefined;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return undefined;
    }
  }
  return at(offset);
}

/** More nodes than this (aliases expanded) are not worth saving. */
const MAX_NODES = 200_000;

/**
 * The snapshot of a parsed document, or undefined when its value would not come back the same
 * from JSON (a non-finite number, say) or it is too large. Positions follow `locateIn` above:
 * aliases are followed into their anchor, a map entry points at its key and its value.
 */
function takeSnapshot(doc: Document, document: unknown, lineCounter: LineCounter): ParseSnapshot | undefined {
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
        // A `__proto__` key stays a key (defineProperty); any other is assigned, which is cheaper.
        if (key === '__proto__') Object.defineProperty(map, key, { value: child, enumerable: true, writable: true, configurable: true });
        else map[key] = child;
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
