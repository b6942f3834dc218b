import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { eventData, openStream, useVisible } from './api.js';

// A service's log over `/api/v1/logs` (server-sent events): the last lines (or every line read
// since a time ago, up to the server's 10,000), then new ones while following; a search keeps the
// matching lines. Each line knows when stack read it and its stream: stderr is marked.

const TAIL = 200;
/** Lines kept in the page; older ones drop off the top. */
const KEPT = 5000;
/** The windows `since` offers; '' is the last TAIL lines. */
const WINDOWS = ['', '5m', '15m', '1h', '6h', '1d'] as const;

interface Line {
  text: string;
  stream: 'stdout' | 'stderr' | 'stack';
  at?: string;
}

function logUrl(service: string, follow: boolean, since: string): string {
  const query = new URLSearchParams({ service, lines: String(since ? KEPT : TAIL) });
  if (since) query.set('since', since);
  if (follow) query.set('follow', '1');
  return `/api/v1/logs?${query.toString()}`;
}

/** `10:54:27.123`: the time of day a line was read, in the browser's zone. */
function clockOf(at: string | undefined): string {
  if (at === undefined) return '            ';
  const time = new Date(at);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}

export function LogView({ service }: { service: string }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [since, setSince] = useState('');
  const [times, setTimes] = useState(false);
  const [caughtUp, setCaughtUp] = useState(false);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const box = useRef<HTMLPreElement>(null);
  const visible = useVisible();
  useEffect(() => {
    if (!visible) return;
    setCaughtUp(false);
    const stream = openStream(logUrl(service, follow, since));
    // A reconnect gets the tail again: start over rather than show it twice.
    stream.addEventListener('open', () => setLines([]));
    stream.addEventListener('line', (event) => {
      const line = eventData<Line>(event);
      if (line) setLines((now) => (now.length >= KEPT ? [...now.slice(now.length - KEPT + 1), line] : [...now, line]));
    });
    stream.addEventListener('caught-up', () => setCaughtUp(true));
    // Without follow the server ends the stream after the tail: do not let the browser reconnect.
    stream.addEventListener('end', () => stream.close());
    stream.addEventListener('error', () => {
      if (!follow) stream.close();
    });
    return () => stream.close();
  }, [service, follow, since, visible]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);
  const needle = search.toLowerCase();
  const shown = needle ? lines.filter((line) => line.text.toLowerCase().includes(needle)) : lines;
  return html`<div class="log">
    <div class="log-controls">
      <label><input type="checkbox" class="log-follow" checked=${follow} onChange=${(event: Event) => setFollow((event.target as HTMLInputElement).checked)} /> follow</label>
      <label><input type="checkbox" class="log-times" checked=${times} onChange=${(event: Event) => setTimes((event.target as HTMLInputElement).checked)} /> times</label>
      <select class="log-since" value=${since} onChange=${(event: Event) => setSince((event.target as HTMLSelectElement).value)}>
        ${WINDOWS.map((window) => html`<option value=${window}>${window ? `since ${window} ago` : `last ${TAIL} lines`}</option>`)}
      </select>
      <input type="search" class="log-search" placeholder="search" value=${search} onInput=${(event: Event) => setSearch((event.target as HTMLInputElement).value)} />
      <span class="log-count">${needle ? `${shown.length} of ${lines.length} lines` : `${lines.length} lines`}${caughtUp ? '' : ' …'}</span>
    </div>
    <pre class="log-lines" ref=${box}>${shown.map(
      (line, index) => html`${index > 0 ? '\n' : ''}<span class=${`line ${line.stream}`} title=${line.at ?? ''}>${times ? html`<span class="at">${clockOf(line.at)} </span>` : ''}${line.text}</span>`,
    )}</pre>
  </div>`;
}
