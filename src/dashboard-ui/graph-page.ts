import { html } from 'htm/preact';
import { stateTone } from '../reconcile/status-format.js';
import { layoutGraph, NODE } from './graph-layout.js';
import { servicePath } from './router.js';
import type { DashStatus } from '../api/dashboard/protocol.js';

// The dependency graph as SVG: columns by start order (graph-layout.ts), each node coloured as
// its row in the table, an arrow from each service to what it depends on.

export function GraphPage({ status }: { status: DashStatus }) {
  const layout = layoutGraph(status.services.map((row) => row.name), status.dependsOn);
  const rows = new Map(status.services.map((row) => [row.name, row]));
  return html`<section class="graph">
    <svg class="graph-svg" width=${layout.width} height=${layout.height} viewBox=${`0 0 ${layout.width} ${layout.height}`} role="img" aria-label="dependency graph">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" /></marker>
      </defs>
      ${layout.edges.map((edge) => {
        const bend = Math.max(24, (edge.x1 - edge.x2) / 2);
        const d = `M ${edge.x1} ${edge.y1} C ${edge.x1 - bend} ${edge.y1}, ${edge.x2 + bend} ${edge.y2}, ${edge.x2} ${edge.y2}`;
        return html`<path class="edge" data-from=${edge.from} data-to=${edge.to} d=${d} marker-end="url(#arrow)" />`;
      })}
      ${layout.nodes.map((node) => {
        const row = rows.get(node.name);
        return html`<a href=${servicePath(node.name)} class="node-link">
          <g class=${`node tone-${row ? stateTone(row) : 'moving'}`} data-service=${node.name} transform=${`translate(${node.x} ${node.y})`}>
            <rect width=${NODE.width} height=${NODE.height} rx="6" />
            <text x="10" y="15" class="node-name">${node.name}</text>
            <text x="10" y="29" class="node-state">${row?.observed ?? '?'}</text>
          </g>
        </a>`;
      })}
    </svg>
    <p class="legend">Left to right in start order; an arrow points from a service to what it depends on.</p>
  </section>`;
}
