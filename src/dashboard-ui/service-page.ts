import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { formatHealth, formatObserved, formatUptime, stateTone } from '../reconcile/status-format.js';
import { getJson } from './api.js';
import { LogView } from './log-view.js';
import type { DashStatus, ServiceHistory } from './wire.js';

// One service: its state, its log, and its restarts, exits and probe results over time.

export function ServicePage({ name, status, now }: { name: string; status: DashStatus; now: number }) {
  const row = status.services.find((each) => each.name === name);
  if (!row) return html`<section class="service"><h2>${name}</h2><p class="error">stack.yaml declares no service ${name}, and none runs.</p></section>`;
  const needs = status.dependsOn[name] ?? [];
  return html`<section class="service">
    <h2>${name} <span class=${`state tone-${stateTone(row)}`}>${formatObserved(row)}</span></h2>
    <dl class="facts">
      <dt>provider</dt><dd>${row.provider}</dd>
      <dt>desired</dt><dd>${row.enabled ? row.desired : 'disabled'}</dd>
      <dt>pid</dt><dd>${row.pid ?? '-'}</dd>
      <dt>uptime</dt><dd>${formatUptime(row.since, now)}</dd>
      <dt>restarts</dt><dd>${row.restarts}</dd>
      <dt>health</dt><dd>${formatHealth(row, now)}</dd>
      <dt>depends on</dt><dd>${needs.length ? needs.join(', ') : '-'}</dd>
      ${row.detail && html`<dt>why</dt><dd>${row.detail}</dd>`}
    </dl>
    <h3>Log</h3>
    <${LogView} service=${name} />
    <${HistoryView} name=${name} restarts=${row.restarts} />
  </section>`;
}

/** Read again when the restart count moves, so a new exit shows without a reload. */
function HistoryView({ name, restarts }: { name: string; restarts: number }) {
  const [history, setHistory] = useState<ServiceHistory | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    getJson<ServiceHistory>(`/api/v1/services/${encodeURIComponent(name)}/history`).then(setHistory, (error: Error) => setFailure(error.message));
  }, [name, restarts]);
  if (failure) return html`<p class="error">${failure}</p>`;
  if (!history) return html`<p class="loading">reading the history…</p>`;
  const entries = [
    ...history.exits.map((exit) => ({ at: exit.at, what: 'exited', detail: exit.signal ? `killed (${exit.signal})` : `code ${exit.code ?? 'unknown'}`, ok: exit.code === 0 })),
    ...history.restarts.map((restart) => ({ at: restart.at, what: 'restarting', detail: `attempt ${restart.attempt} of ${restart.maxRestarts}`, ok: true })),
    ...history.probes.map((probe) => ({ at: probe.at, what: probe.kind, detail: probe.ok ? 'ok' : `failed${probe.reason ? `: ${probe.reason}` : ''}`, ok: probe.ok })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return html`<h3>Restarts, exits and probes</h3>
    ${entries.length === 0 && html`<p class="empty">nothing recorded yet.</p>`}
    <table class="timeline">
      ${entries.map((entry) => html`<tr class=${entry.ok ? 'tone-ok' : 'tone-bad'}><td>${new Date(entry.at).toLocaleString()}</td><td>${entry.what}</td><td>${entry.detail}</td></tr>`)}
    </table>`;
}
