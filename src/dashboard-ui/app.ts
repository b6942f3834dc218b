import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { knownSession, openSession } from './api.js';
import { GraphPage } from './graph-page.js';
import { HistoryPage } from './history-page.js';
import { useLive, useNow } from './live.js';
import { PlanPage } from './plan-page.js';
import { useRoute, type Route } from './router.js';
import { ServicePage } from './service-page.js';
import { ServicesPage } from './services-page.js';
import type { DashStatus, EventBody, SessionBody } from '../api/dashboard/protocol.js';

// The page's frame: the session first (its CSRF token), the live status for every page, the
// navigation, and the page the path names.

const NAV: { path: string; label: string; pages: Route['page'][] }[] = [
  { path: '/', label: 'Services', pages: ['services', 'service'] },
  { path: '/graph', label: 'Graph', pages: ['graph'] },
  { path: '/plan', label: 'Plan', pages: ['plan'] },
  { path: '/history', label: 'History', pages: ['history'] },
];

export function App() {
  const [session, setSession] = useState<SessionBody | undefined>(knownSession);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (!session) openSession().then(setSession, (error: Error) => setFailure(error.message));
  }, []);
  if (failure) return html`<main class="refused"><h1>stack dashboard</h1><p class="error">${failure}</p><p>Open the URL <code>stack dashboard</code> printed.</p></main>`;
  if (!session) return html`<main><p class="loading">connecting…</p></main>`;
  return html`<${Dashboard} session=${session} />`;
}

function Dashboard({ session }: { session: SessionBody }) {
  const route = useRoute();
  const live = useLive();
  const now = useNow();
  useEffect(() => {
    document.title = `${session.project} · stack dashboard`;
  }, [session.project]);
  return html`<header>
      <h1>${session.project}</h1>
      <nav>${NAV.map((item) => html`<a href=${item.path} class=${item.pages.includes(route.page) ? 'current' : ''}>${item.label}</a>`)}</nav>
      <span class="source">${live.status?.source === 'controller' && session.controller ? `controller pid ${session.controller.pid}` : 'observed (no controller)'}${live.connected ? '' : ' · reconnecting…'}</span>
    </header>
    ${live.problem && html`<p class="problem">${live.problem}</p>`}
    <main>${live.status ? page(route, live.status, live.events, now) : html`<p class="loading">reading the stack…</p>`}</main>`;
}

function page(route: Route, status: DashStatus, events: readonly EventBody[], now: number) {
  switch (route.page) {
    case 'services':
      return html`<${ServicesPage} status=${status} now=${now} />`;
    case 'service':
      return html`<${ServicePage} key=${route.name} name=${route.name} status=${status} events=${events} now=${now} />`;
    case 'graph':
      return html`<${GraphPage} status=${status} />`;
    case 'plan':
      return html`<${PlanPage} pendingKey=${(status.pendingServices ?? []).join(',')} />`;
    case 'history':
      return html`<${HistoryPage} />`;
    case 'missing':
      return html`<p class="error">No page at ${route.path}. <a href="/">The services</a>.</p>`;
  }
}
