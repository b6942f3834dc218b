import { useEffect, useState } from 'preact/hooks';
import type { DashBoot, DashErrorBody, SessionBody } from '../api/dashboard/protocol.js';

// How the page talks to the dashboard process: JSON over fetch, the session's CSRF token on every
// POST (docs/dashboard.md, "Safety"). The session cookie travels by itself (same origin).

let csrf: string | undefined;

/** A failed call, in the words the server chose (one line) with the exit code the CLI would give. */
export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code: number) {
    super(message);
  }
}

let earlySession: Promise<SessionBody> | undefined;
let known: SessionBody | undefined;

/** The session the page came with: the first render needs no request. */
export function knownSession(): SessionBody | undefined {
  return known;
}

/** What the server put in the page for its first render (docs/dashboard.md: `DashBoot`), once. */
export function bootData(): DashBoot | undefined {
  const element = document.getElementById('stack-boot');
  if (!element?.textContent) return undefined;
  element.remove();
  try {
    const boot = JSON.parse(element.textContent) as DashBoot;
    return boot.formatVersion === 1 ? boot : undefined;
  } catch {
    return undefined;
  }
}

/** The session the page came with, or asked for as the bundle loads: not after the first paint (App's effect). */
export function prefetchSession(boot?: SessionBody): void {
  if (boot) {
    csrf = boot.csrf;
    known = boot;
    return;
  }
  earlySession = getJson<SessionBody>('/api/v1/session');
  // A refusal (401) is said by openSession's answer; this one is not awaited then.
  earlySession.catch(() => undefined);
}

/** Reads the session first: every POST after it carries its CSRF token. */
export async function openSession(): Promise<SessionBody> {
  const asked = earlySession ?? getJson<SessionBody>('/api/v1/session');
  earlySession = undefined;
  const session = await asked;
  csrf = session.csrf;
  return session;
}

export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { headers: { accept: 'application/json' } }));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  if (csrf === undefined) throw new ApiError('no session yet: reload the page', 0, 1);
  const headers = { 'content-type': 'application/json', 'x-stack-csrf': csrf };
  return answer<T>(await fetch(path, { method: 'POST', headers, body: JSON.stringify(body) }));
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (response.ok) return JSON.parse(text) as T;
  const failure = parseError(text);
  throw new ApiError(failure?.error.message ?? `${response.status} ${text.trim() || response.statusText}`, response.status, failure?.error.code ?? 1);
}

function parseError(text: string): DashErrorBody | undefined {
  try {
    const body = JSON.parse(text) as Partial<DashErrorBody>;
    return body.error ? (body as DashErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a server-sent event's JSON data; a malformed event is dropped, not thrown into a handler. */
export function eventData<T>(event: Event): T | undefined {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    return undefined;
  }
}

const open = new Set<EventSource>();

/**
 * An `EventSource` closed when the page is left. A browser may keep a left page (its back/forward
 * cache) with its streams open, and allows only 6 connections to one host: a few visits away
 * would leave the next page waiting for a connection. main.ts reloads a page brought back.
 */
export function openStream(url: string): EventSource {
  const stream = new EventSource(url);
  open.add(stream);
  const close = stream.close.bind(stream);
  stream.close = () => {
    open.delete(stream);
    close();
  };
  return stream;
}

/**
 * Whether the page is shown. A hidden tab holds no stream (the hooks close theirs and open them
 * again when it is shown): a browser allows 6 connections to one host, and each tab holds one or
 * two, so a few tabs left open would keep the next from loading at all.
 */
export function useVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState !== 'hidden');
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState !== 'hidden');
    document.addEventListener('visibilitychange', changed);
    return () => document.removeEventListener('visibilitychange', changed);
  }, []);
  return visible;
}

export function closeStreams(): void {
  for (const stream of [...open]) stream.close();
}
