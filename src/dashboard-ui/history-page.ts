import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import type { FileHistory } from '../api/dashboard/protocol.js';

// stack.yaml's git history, newest first, each commit with what it changed in the desired state
// (as `stack diff A B`).

const LIMIT = 20;

export function HistoryPage() {
  const [history, setHistory] = useState<FileHistory | undefined>(undefined);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    getJson<FileHistory>(`/api/v1/history?limit=${LIMIT}`).then(setHistory, (error: Error) => setFailure(error.message));
  }, []);
  if (failure) return html`<section class="history"><p class="error">${failure}</p></section>`;
  if (!history) return html`<section class="history"><p class="loading">reading git…</p></section>`;
  if (history.commits.length === 0) return html`<section class="history"><p class="empty">No commit touches stack.yaml yet.</p></section>`;
  return html`<section class="history">
    ${history.commits.map((commit) => html`<article class="commit" data-commit=${commit.commit}>
      <h3><code>${commit.commit.slice(0, 7)}</code> ${commit.subject}</h3>
      <p class="by">${commit.author}, ${new Date(commit.date).toLocaleString()}</p>
      ${commit.error ? html`<p class="error">${commit.error}</p>` : commit.lines.length === 0 ? html`<p class="empty">no change to the desired state</p>` : html`<pre class="diff">${commit.lines.map((line) => html`<span class=${diffClass(line)}>${`${line}\n`}</span>`)}</pre>`}
    </article>`)}
  </section>`;
}

function diffClass(line: string): string {
  const mark = line.trimStart()[0];
  return mark === '+' ? 'added' : mark === '-' ? 'removed' : mark === '~' ? 'changed' : '';
}
