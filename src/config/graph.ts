/** Dependency-graph helpers shared by the validator and the planner. Pure. */

export interface GraphNode {
  name: string;
  dependsOn: readonly string[];
}

/**
 * A topological order of `nodes` (dependencies first), ties broken by the order given.
 * Unknown dependencies are ignored; nodes on a cycle are appended in the order given.
 */
export function topoOrder<T extends GraphNode>(nodes: readonly T[]): T[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const position = new Map(nodes.map((node, index) => [node.name, index]));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const node of nodes) {
    const deps = [...new Set(node.dependsOn)].filter((dep) => byName.has(dep) && dep !== node.name);
    waitingOn.set(node.name, deps.length);
    for (const dep of deps) {
      const list = dependents.get(dep);
      if (list) list.push(node.name);
      else dependents.set(dep, [node.name]);
    }
  }
  // A sorted ready-list keeps manifest order among services with no path between them.
  const ready = nodes.filter((node) => waitingOn.get(node.name) === 0).map((node) => node.name);
  const order: T[] = [];
  const done = new Set<string>();
  while (ready.length > 0) {
    const name = ready.shift() as string;
    done.add(name);
    order.push(byName.get(name) as T);
    for (const dependent of dependents.get(name) ?? []) {
      const left = (waitingOn.get(dependent) ?? 0) - 1;
      waitingOn.set(dependent, left);
      if (left === 0) insertSorted(ready, dependent, position);
    }
  }
  for (const node of nodes) if (!done.has(node.name)) order.push(node);
  return order;
}

function insertSorted(list: string[], name: string, position: ReadonlyMap<string, number>): void {
  const rank = position.get(name) ?? 0;
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((position.get(list[mid] as string) ?? 0) < rank) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, name);
}

/**
 * The first dependency cycle found, as a closed path (`['a', 'b', 'a']`), or undefined.
 * Iterative: a chain of 10,000 services must not overflow the call stack.
 */
export function findCycle(nodes: readonly GraphNode[]): string[] | undefined {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const state = new Map<string, 'visiting' | 'done'>();
  for (const root of nodes) {
    if (state.has(root.name)) continue;
    const path: string[] = [root.name];
    const next: number[] = [0];
    state.set(root.name, 'visiting');
    while (path.length > 0) {
      const top = path.length - 1;
      const deps = byName.get(path[top] as string)?.dependsOn ?? [];
      const index = next[top] as number;
      if (index >= deps.length) {
        state.set(path.pop() as string, 'done');
        next.pop();
        continue;
      }
      next[top] = index + 1;
      const dep = deps[index] as string;
      if (!byName.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === 'visiting') return [...path.slice(path.indexOf(dep)), dep];
      if (seen === undefined) {
        state.set(dep, 'visiting');
        path.push(dep);
        next.push(0);
      }
    }
  }
  return undefined;
}

/** Every service that (transitively) depends on one of `names`, not including them. */
export function dependentsOf(nodes: readonly GraphNode[], names: Iterable<string>): Set<string> {
  return closure(nodes, names, (node, set) => node.dependsOn.some((dep) => set.has(dep)));
}

/** Every service one of `names` (transitively) depends on, not including them. */
export function dependenciesOf(nodes: readonly GraphNode[], names: Iterable<string>): Set<string> {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const found = new Set<string>();
  const queue = [...names];
  const start = new Set(queue);
  while (queue.length > 0) {
    const node = byName.get(queue.pop() as string);
    for (const dep of node?.dependsOn ?? []) {
      if (found.has(dep) || start.has(dep) || !byName.has(dep)) continue;
      found.add(dep);
      queue.push(dep);
    }
  }
  return found;
}

function closure(
  nodes: readonly GraphNode[],
  names: Iterable<string>,
  reaches: (node: GraphNode, set: ReadonlySet<string>) => boolean,
): Set<string> {
  const start = new Set(names);
  const set = new Set(start);
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of nodes) {
      if (!set.has(node.name) && reaches(node, set)) {
        set.add(node.name);
        grew = true;
      }
    }
  }
  for (const name of start) set.delete(name);
  return set;
}
