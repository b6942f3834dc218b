import { html } from 'htm/preact';
import { render } from 'preact';
import { App } from './app.js';
import { interceptLinks } from './router.js';

// The bundle's entry (scripts/build.mjs → dist/dashboard/app.js), loaded by index.html.

const root = document.getElementById('app');
if (root) {
  interceptLinks(root);
  render(html`<${App} />`, root);
}
