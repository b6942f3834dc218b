import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { formatHealth, formatObserved, formatUptime, stateTone } from '../reconcile/status-format.js';
import { getJson } from './api.js';
import { LogView } from './log-view.js';
import type { DashStatus, EventBody, ServiceHistory } from '../api/dashboard/protocol.js';
import { isLimitReason } from '../reconcile/exit-words.js';

// One service: its state, its log, and its restarts, exits and probe results over time.

export function ServicePage({ name, status, events, now }: { name: string; status: DashStatus; events: readonly EventBody[]; now: number }) {
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
    <${HistoryView} name=${name} changed=${lastEventOf(name, events)} />
  </section>`;
}

/** When the controller last said something about `name` (an exit, a restart, a probe result): the history is read again then. */
function lastEventOf(name: string, events: readonly EventBody[]): string {
  return events.find((event) => 'service' in event && event.service === name)?.at ?? '';
}

/** Read again on each event about the service, so a new exit shows without a reload. */
function HistoryView({ name, changed }: { name: string; changed: string }) {
  const [history, setHistory] = useState<ServiceHistory | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    getJson<ServiceHistory>(`/api/v1/services/${encodeURIComponent(name)}/history`).then(setHistory, (error: Error) => setFailure(error.message));
  }, [name, changed]);
  if (failure) return html`<p class="error">${failure}</p>`;
  if (!history) return html`<p class="loading">reading the history…</p>`;
  const entries = [
    ...withRecorded(history).exits.map((exit) => ({ at: exit.at, what: 'exited', detail: isLimitReason(exit.reason) ? exit.reason : exit.signal ? `killed (${exit.signal})` : `code ${exit.code ?? 'unknown'}`, ok: exit.code === 0 })),
    ...history.restarts.map((restart) => ({ at: restart.at, what: 'restarting', detail: `attempt ${restart.attempt} of ${restart.maxRestarts}`, ok: true })),
    ...withRecorded(history).probes.map((probe) => ({ at: probe.at, what: probe.kind, detail: probe.ok ? 'ok' : `failed${probe.reason ? `: ${probe.reason}` : ''}`, ok: probe.ok })),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return html`<h3>Restarts, exits and probes</h3>
    ${entries.length === 0 && html`<p class="empty">nothing recorded yet.</p>`}
    <table class="timeline">
      ${entries.map((entry) => html`<tr class=${entry.ok ? 'tone-ok' : 'tone-bad'}><td>${new Date(entry.at).toLocaleString()}</td><td>${entry.what}</td><td>${entry.detail}</td></tr>`)}
    </table>`;
}

/** The events heard, with the last exit and probe the state file records when no event told of them (without a controller, or from before the dashboard began). */
function withRecorded(history: ServiceHistory): Pick<ServiceHistory, 'exits' | 'probes'> {
  const { lastExit, probe } = history.recorded ?? {};
  return {
    exits: lastExit && !history.exits.some((exit) => exit.at === lastExit.at) ? [...history.exits, lastExit] : history.exits,
    probes: probe && !history.probes.some((each) => each.at === probe.at) ? [...history.probes, probe] : history.probes,
  };
}
