// The dependency graph's layout, pure: each service in a column by its depth (what depends on
// nothing first, as apply starts them), in file order down each column; an edge from each
// service to what it depends on. The graph page draws it as SVG.

export interface LayoutNode {
  name: string;
  /** The column: 0 for a service that depends on nothing, else one more than its deepest dependency. */
  layer: number;
  x: number;
  y: number;
}

export interface LayoutEdge {
  /** The service that depends… */
  from: string;
  /** …on this one. */
  to: string;
  /** Start and end points: the dependent's left side to the dependency's right side. */
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Layout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

export const NODE = { width: 160, height: 36, columnGap: 80, rowGap: 20, margin: 16 } as const;

/**
 * `names` in file order; `dependsOn` each service's direct dependencies. A dependency that names
 * no listed service is left out, and a cycle (stack.yaml refuses one) cannot loop: a service met
 * again on its own path counts as depth 0 there.
 */
export function layoutGraph(names: readonly string[], dependsOn: Readonly<Record<string, readonly string[]>>): Layout {
  const known = new Set(names);
  const needs = (name: string) => (dependsOn[name] ?? []).filter((need) => known.has(need) && need !== name);
  const depth = new Map<string, number>();
  const depthOf = (name: string, path: ReadonlySet<string>): number => {
    const found = depth.get(name);
    if (found !== undefined) return found;
    if (path.has(name)) return 0;
    const inner = new Set(path).add(name);
    const value = Math.max(-1, ...needs(name).map((need) => depthOf(need, inner))) + 1;
    depth.set(name, value);
    return value;
  };
  const rowsUsed: number[] = [];
  const nodes = names.map((name) => {
    const layer = depthOf(name, new Set());
    const row = rowsUsed[layer] ?? 0;
    rowsUsed[layer] = row + 1;
    return { name, layer, x: NODE.margin + layer * (NODE.width + NODE.columnGap), y: NODE.margin + row * (NODE.height + NODE.rowGap) };
  });
  const at = new Map(nodes.map((node) => [node.name, node]));
  const edges = nodes.flatMap((node) =>
    needs(node.name).map((need) => {
      const target = at.get(need) as LayoutNode;
      return { from: node.name, to: need, x1: node.x, y1: node.y + NODE.height / 2, x2: target.x + NODE.width, y2: target.y + NODE.height / 2 };
    }),
  );
  const columns = rowsUsed.length;
  const rows = Math.max(0, ...rowsUsed);
  return {
    nodes,
    edges,
    width: 2 * NODE.margin + Math.max(0, columns * NODE.width + (columns - 1) * NODE.columnGap),
    height: 2 * NODE.margin + Math.max(0, rows * NODE.height + (rows - 1) * NODE.rowGap),
  };
}
