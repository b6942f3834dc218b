// `stack dashboard` in tests: the real command started in the background, its printed link
// opened, and node's fetch speaking to it as a browser would (cookie, Origin, CSRF header).
import type { Cleanup, RunningCli } from './controller.js';
import { uniqueMarker } from './marker.js';
import { stack } from './stack-cli.js';
import { waitFor } from './wait.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked by the tests' expectations
type Json = any;

export interface SseEvent {
  event: string;
  data: Json;
}

/** An event stream being read; `events` grows as they come. */
export interface SseReader {
  events: SseEvent[];
  /** Everything received, as sent (the redaction tests look at every byte). */
  raw(): string;
  waitFor(match: (event: SseEvent) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent>;
  close(): void;
}

export interface OpenDashboard {
  cli: RunningCli;
  /** `http://127.0.0.1:PORT` */
  base: string;
  /** The printed link, with its one-time token. */
  link: string;
  /** Every body this dashboard answered through `get`/`post`/`sse`, as received. */
  seen: string[];
  cookie: string;
  csrf: string;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; text: string; json: () => Json }>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; text: string; json: () => Json }>;
  sse(path: string): Promise<SseReader>;
}

/** Starts `stack dashboard -f <file>`, waits for its link, and signs in with it (cookie and CSRF token). */
export async function openDashboard(cleanup: Cleanup, file: string, args: string[] = [], env?: NodeJS.ProcessEnv): Promise<OpenDashboard> {
  const cli = cleanup.cli(['dashboard', '-f', file, ...args], env ? { env } : {});
  const [link = ''] = await cli.waitForStdout(/http:\/\/\S+\?token=\S+/, 20_000, 'the dashboard to print its link');
  const base = new URL(link).origin;
  const signIn = await fetch(link, { redirect: 'manual' });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const seen: string[] = [];
  const send = async (method: string, path: string, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(`${base}${path}`, { method, headers: { cookie, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    seen.push(text);
    return { status: response.status, text, json: () => JSON.parse(text) };
  };
  const dashboard: OpenDashboard = {
    cli,
    base,
    link,
    seen,
    cookie,
    csrf: '',
    get: (path, headers = {}) => send('GET', path, undefined, headers),
    post: (path, body = {}, headers) => send('POST', path, body, headers ?? { origin: base, 'x-stack-csrf': dashboard.csrf, 'content-type': 'application/json' }),
    sse: async (path) => {
      const reader = await readEvents(`${base}${path}`, cookie);
      const raw = reader.raw;
      reader.close = ((close) => () => {
        seen.push(raw());
        close();
      })(reader.close);
      return reader;
    },
  };
  if (signIn.status === 303) dashboard.csrf = (await dashboard.get('/api/v1/session')).json().csrf;
  return dashboard;
}

async function readEvents(url: string, cookie: string): Promise<SseReader> {
  const stop = new AbortController();
  const response = await fetch(url, { headers: { cookie }, signal: stop.signal });
  if (!response.ok || !response.body) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  const events: SseEvent[] = [];
  let raw = '';
  let pending = '';
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        raw += text;
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // Closed by the test.
    }
  })();
  return {
    events,
    raw: () => raw,
    waitFor: (match, timeoutMs = 10_000, what = 'an event') => waitFor(() => events.find(match), timeoutMs, what),
    close: () => stop.abort(),
  };
}

/** A stack of one `sleep` service, `web`, applied: what a dashboard of one test looks at. */
export function appliedWeb(cleanup: Cleanup): ReturnType<Cleanup['scratch']> {
  const m = cleanup.marker(uniqueMarker());
  const s = cleanup.scratch(`version: 1\nservices:\n  web:\n    command: sleep ${m}\n`);
  const applied = stack(['apply', '--yes', '-f', s.file]);
  if (applied.code !== 0) throw new Error(`stack apply failed (${applied.code}): ${applied.stderr}`);
  return s;
}
