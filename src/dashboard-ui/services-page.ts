import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { movesWith, type Verb } from '../cli/top/moves.js';
import { formatCpu, formatHealth, formatMemory, formatObserved, formatPorts, formatUptime, stateTone } from '../reconcile/status-format.js';
import { postJson } from './api.js';
import { Confirm } from './confirm.js';
import { servicePath } from './router.js';
import type { DashStatus, RunResultBody, StatusRow } from '../api/dashboard/protocol.js';

// The live services table: `stack top`'s columns and colours (src/cli/top/table.ts), one row per
// service, each with its verbs behind a confirmation naming what moves with it.

interface Column {
  header: string;
  cell: (row: StatusRow, now: number) => string;
}

/** As `stack top`'s columns, same order and text; a browser has room for all of them. */
const COLUMNS: Column[] = [
  { header: 'PROVIDER', cell: (row) => row.provider },
  { header: 'DESIRED', cell: (row) => (row.enabled ? row.desired : 'disabled') },
  { header: 'OBSERVED', cell: (row) => formatObserved(row) },
  { header: 'PID', cell: (row) => (row.pid === null ? '-' : String(row.pid)) },
  { header: 'UPTIME', cell: (row, now) => formatUptime(row.since, now) },
  { header: 'RESTARTS', cell: (row) => String(row.restarts) },
  { header: 'CPU', cell: (row) => formatCpu(row.cpu) },
  { header: 'MEM', cell: (row) => formatMemory(row) },
  { header: 'HEALTH', cell: (row, now) => formatHealth(row, now) },
  { header: 'PORTS', cell: (row) => formatPorts(row) },
];

const VERBS: Verb[] = ['start', 'stop', 'restart', 'enable', 'disable'];

interface Asked {
  verb: Verb;
  service: string;
}

export function ServicesPage({ status, now }: { status: DashStatus; now: number }) {
  const [asked, setAsked] = useState<Asked | undefined>(undefined);
  const pending = new Set(status.pendingServices);
  return html`<section class="services">
    <table class="services-table">
      <thead><tr><th>NAME</th>${COLUMNS.map((column) => html`<th>${column.header}</th>`)}<th></th><th></th></tr></thead>
      <tbody>
        ${status.services.map((row) => html`<${ServiceRow} key=${row.name} row=${row} now=${now} pending=${pending.has(row.name)} onVerb=${(verb: Verb) => setAsked({ verb, service: row.name })} />`)}
      </tbody>
    </table>
    ${status.services.length === 0 && html`<p class="empty">stack.yaml declares no services.</p>`}
    ${asked && html`<${VerbConfirm} asked=${asked} status=${status} onClose=${() => setAsked(undefined)} />`}
  </section>`;
}

function ServiceRow({ row, now, pending, onVerb }: { row: StatusRow; now: number; pending: boolean; onVerb: (verb: Verb) => void }) {
  const tone = stateTone(row);
  return html`<tr data-service=${row.name} class=${`tone-${tone}`}>
    <td class="name"><a href=${servicePath(row.name)}>${row.name}</a>${pending ? html` <span class="pending" title="a plan would move it">●</span>` : ''}</td>
    ${COLUMNS.map((column) => html`<td class=${`col-${column.header.toLowerCase()}`}>${column.cell(row, now)}</td>`)}
    <td class="why">${row.detail && row.observed !== 'running' ? row.detail : ''}</td>
    <td class="verbs">${VERBS.map((verb) => html`<button class=${`verb verb-${verb}`} disabled=${!offered(verb, row)} onClick=${() => onVerb(verb)}>${verb}</button>`)}</td>
  </tr>`;
}

/** Enable and disable are offered only where they change something; the others always (a start of what runs says so). */
function offered(verb: Verb, row: StatusRow): boolean {
  if (verb === 'enable') return !row.enabled;
  if (verb === 'disable') return row.enabled;
  return true;
}

function VerbConfirm({ asked, status, onClose }: { asked: Asked; status: DashStatus; onClose: () => void }) {
  const { verb, service } = asked;
  const moves = movesWith(verb, service, status.services, new Map(Object.entries(status.dependsOn)));
  const lines = moves.length === 0 ? ['Nothing else moves with it.'] : [`It also ${moves.verb}: ${moves.names.join(', ')}.`];
  const run = (commit: boolean) => postJson<RunResultBody>(`/api/v1/services/${encodeURIComponent(service)}/${verb}`, verb === 'restart' ? {} : { commit });
  return html`<${Confirm} title=${`${verb} ${service}?`} lines=${lines} commitOption=${verb !== 'restart'} onConfirm=${run} onClose=${onClose} />`;
}
