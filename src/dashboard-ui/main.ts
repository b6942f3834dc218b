import { html } from 'htm/preact';
import { render } from 'preact';
import { bootData, closeStreams, prefetchSession } from './api.js';
import { App } from './app.js';
import { prefetchStatus } from './live.js';
import { interceptLinks } from './router.js';

// The bundle's entry (scripts/build.mjs → dist/dashboard/app.js), loaded by index.html.

const root = document.getElementById('app');
if (root) {
  interceptLinks(root);
  const boot = bootData();
  prefetchStatus(boot?.status);
  prefetchSession(boot?.session);
  render(html`<${App} />`, root);
  // Leaving closes the live streams (api.ts, openStream); a page brought back from the
  // back/forward cache has none, so it starts afresh.
  addEventListener('pagehide', closeStreams);
  addEventListener('pageshow', (event) => {
    if (event.persisted) location.reload();
  });
}
