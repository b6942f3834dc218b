/** How much a YAML document's aliases add once expanded: the measure of an alias bomb. Pure. */

import { isAlias, isCollection, isPair } from 'yaml';
import type { Alias, Document, Node } from 'yaml';

interface Frame {
  node: object;
  children: readonly unknown[];
  next: number;
  total: number;
}

/**
 * The values (scalars, maps, lists, entries) the document holds with every alias expanded,
 * counted without expanding it (with `targets`; without, aliases count one each); stops counting once past `limit`. A size is kept per node, so
 * an anchor used 150 times is walked once. Iterative: 50,000 levels of nesting are valid YAML.
 * Recursive aliases must have been refused before (findBadAliases), or this would not end.
 */
export function expandedSize(doc: Document, limit: number, targets?: ReadonlyMap<Alias, Node | undefined>): number {
  const sizes = new Map<object, number>();
  const resolve = (node: unknown): unknown => (targets && isAlias(node) ? targets.get(node) : node);
  const childrenOf = (node: unknown): readonly unknown[] => (isCollection(node) ? node.items : isPair(node) ? [node.key, node.value] : []);
  const root = resolve(doc.contents);
  if (root === null || typeof root !== 'object') return 1;
  const stack: Frame[] = [{ node: root, children: childrenOf(root), next: 0, total: 1 }];
  for (;;) {
    const frame = stack[stack.length - 1] as Frame;
    // A part past the limit makes the whole past it: the totals only add up.
    if (frame.total > limit) return frame.total;
    if (frame.next < frame.children.length) {
      const child = resolve(frame.children[frame.next]);
      frame.next += 1;
      const known = child !== null && typeof child === 'object' ? sizes.get(child) : 1;
      if (known !== undefined) frame.total += known;
      else stack.push({ node: child as object, children: childrenOf(child), next: 0, total: 1 });
      continue;
    }
    stack.pop();
    sizes.set(frame.node, frame.total);
    const parent = stack[stack.length - 1];
    if (!parent) return frame.total;
    parent.total += frame.total;
  }
}

/**
 * How many values the aliases add (expanded size minus the size as written), stopping past
 * `limit`. Counting real size, not alias uses: 150 services merging one `&common` block add a
 * few thousand values, a billion-laughs document adds billions.
 */
export function aliasGrowth(doc: Document, limit: number, targets: ReadonlyMap<Alias, Node | undefined>): number {
  const written = expandedSize(doc, Infinity);
  return expandedSize(doc, written + limit, targets) - written;
}
