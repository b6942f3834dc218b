import { describe, expect, it } from 'vitest';
import { layoutGraph, NODE } from '../../src/dashboard-ui/graph-layout.js';
import { routeOf } from '../../src/dashboard-ui/router.js';

const column = (layer: number) => NODE.margin + layer * (NODE.width + NODE.columnGap);

describe('the dependency graph layout', () => {
  it('puts each service one column right of its deepest dependency, in file order down a column', () => {
    const layout = layoutGraph(['web', 'db', 'cache', 'api'], { web: ['api', 'cache'], api: ['db'] });
    const at = Object.fromEntries(layout.nodes.map((node) => [node.name, node]));
    expect(Object.fromEntries(layout.nodes.map((node) => [node.name, node.layer]))).toEqual({ web: 2, db: 0, cache: 0, api: 1 });
    expect(at.db?.x).toBe(column(0));
    expect(at.cache?.y).toBeGreaterThan(at.db?.y ?? Infinity);
    expect(at.web?.x).toBe(column(2));
    expect(layout.width).toBe(2 * NODE.margin + 3 * NODE.width + 2 * NODE.columnGap);
    expect(layout.height).toBe(2 * NODE.margin + 2 * NODE.height + NODE.rowGap);
  });

  it('draws an edge from each service to each dependency, from its left side to the dependency\'s right side', () => {
    const layout = layoutGraph(['db', 'api', 'web'], { api: ['db'], web: ['api'] });
    expect(layout.edges.map(({ from, to }) => `${from}→${to}`)).toEqual(['api→db', 'web→api']);
    const [apiToDb] = layout.edges;
    expect(apiToDb).toMatchObject({ x1: column(1), x2: column(0) + NODE.width, y1: NODE.margin + NODE.height / 2 });
  });

  it('leaves out a dependency on a service not listed, and terminates on a cycle', () => {
    expect(layoutGraph(['a'], { a: ['gone'] }).edges).toEqual([]);
    const cycle = layoutGraph(['a', 'b'], { a: ['b'], b: ['a'] });
    expect(cycle.nodes).toHaveLength(2);
    expect(cycle.edges).toHaveLength(2);
  });

  it('lays out an empty stack as an empty drawing', () => {
    expect(layoutGraph([], {})).toEqual({ nodes: [], edges: [], width: 2 * NODE.margin, height: 2 * NODE.margin });
  });
});

describe('the page a path names', () => {
  it.each([
    ['/', { page: 'services' }],
    ['/graph', { page: 'graph' }],
    ['/plan/', { page: 'plan' }],
    ['/history', { page: 'history' }],
    ['/services/web%20app', { page: 'service', name: 'web app' }],
    ['/nowhere', { page: 'missing', path: '/nowhere' }],
  ])('%s', (path, route) => expect(routeOf(path)).toEqual(route));
});
