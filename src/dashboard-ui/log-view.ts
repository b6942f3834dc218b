import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { eventData, openStream, useVisible } from './api.js';

// A service's log over `/api/v1/logs` (server-sent events): the last lines, then new ones while
// following; a search keeps the matching lines. No `since` yet: log lines carry no time until
// issue 30 records one for each (docs/dashboard.md).

const TAIL = 200;
/** Lines kept in the page; older ones drop off the top. */
const KEPT = 5000;

function logUrl(service: string, follow: boolean): string {
  const query = new URLSearchParams({ service, lines: String(TAIL) });
  if (follow) query.set('follow', '1');
  return `/api/v1/logs?${query.toString()}`;
}

export function LogView({ service }: { service: string }) {
  const [lines, setLines] = useState<string[]>([]);
  const [caughtUp, setCaughtUp] = useState(false);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const box = useRef<HTMLPreElement>(null);
  const visible = useVisible();
  useEffect(() => {
    if (!visible) return;
    setCaughtUp(false);
    const stream = openStream(logUrl(service, follow));
    // A reconnect gets the tail again: start over rather than show it twice.
    stream.addEventListener('open', () => setLines([]));
    stream.addEventListener('line', (event) => {
      const line = eventData<{ text: string }>(event);
      if (line) setLines((now) => (now.length >= KEPT ? [...now.slice(now.length - KEPT + 1), line.text] : [...now, line.text]));
    });
    stream.addEventListener('caught-up', () => setCaughtUp(true));
    // Without follow the server ends the stream after the tail: do not let the browser reconnect.
    stream.addEventListener('end', () => stream.close());
    stream.addEventListener('error', () => {
      if (!follow) stream.close();
    });
    return () => stream.close();
  }, [service, follow, visible]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);
  const needle = search.toLowerCase();
  const shown = needle ? lines.filter((line) => line.toLowerCase().includes(needle)) : lines;
  return html`<div class="log">
    <div class="log-controls">
      <label><input type="checkbox" class="log-follow" checked=${follow} onChange=${(event: Event) => setFollow((event.target as HTMLInputElement).checked)} /> follow</label>
      <input type="search" class="log-search" placeholder="search" value=${search} onInput=${(event: Event) => setSearch((event.target as HTMLInputElement).value)} />
      <span class="log-count">${needle ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`}${caughtUp ? '' : ' …'}</span>
    </div>
    <pre class="log-lines" ref=${box}>${shown.join('\n')}</pre>
  </div>`;
}
