import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';

/*
 * Who may use the dashboard (docs/dashboard.md, "Safety"): whoever opened the URL it printed. The
 * one-time token in that URL buys a session cookie; every request must name one of our hosts
 * (DNS rebinding), come from our own origin when it says one, and a POST must carry the
 * session's CSRF token.
 */

/** The session cookie's name: its port in it, since a browser keeps one cookie jar per host, not per port. */
export function cookieName(port: number): string {
  return `stack_session_${port}`;
}
export const CSRF_HEADER = 'x-stack-csrf';

/** Sent with every answer: no inline script, nothing sniffed, no referrer with a token in it. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** 32 random bytes, base64url. */
export function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** Why a request is refused, as the status it is answered with. */
export class Refusal extends Error {
  constructor(
    readonly status: 401 | 403 | 421,
    message: string,
  ) {
    super(message);
  }
}

export class Gate {
  private token: string | undefined = secret();
  /** Each session's CSRF token, by session id. */
  private readonly sessions = new Map<string, string>();
  private readonly hosts: Set<string>;
  private readonly cookie: string;

  /** `listen`: the addresses served on (as given and as bound), besides the loopback names. */
  constructor(
    readonly port: number,
    listen: readonly string[],
  ) {
    const names = ['127.0.0.1', 'localhost', '[::1]', ...listen.flatMap(namesOf)].map((name) => (name.includes(':') && !name.startsWith('[') ? `[${name}]` : name));
    // A browser leaves the port out of Host and Origin when it is http's own.
    this.hosts = new Set([...names.map((host) => `${host}:${port}`), ...(port === 80 ? names : [])]);
    this.cookie = cookieName(port);
  }

  /** The token the printed URL carries, until it is spent. */
  get oneTimeToken(): string | undefined {
    return this.token;
  }

  /** Host, Origin and the browser's Sec-Fetch-Site, checked on every request, signed in or not. */
  checkPlace(request: IncomingMessage): void {
    const host = request.headers.host ?? '';
    if (!this.hosts.has(host.toLowerCase()) || hostsIn(request) > 1) throw new Refusal(421, `this dashboard does not answer for host ${JSON.stringify(host)}`);
    // An absolute-form target (`GET http://evil/ HTTP/1.1`) names a host of its own, unchecked.
    const target = request.url ?? '/';
    if (!target.startsWith('/') || target.startsWith('//')) throw new Refusal(421, 'this dashboard answers only paths (/…), not another host\'s URL');
    // Another port of this host is the same site: its page gets our cookie along, Origin-less on a GET.
    const site = request.headers['sec-fetch-site'];
    if ((site === 'cross-site' || site === 'same-site') && !(request.headers['sec-fetch-mode'] === 'navigate' && !target.startsWith('/api/'))) {
      throw new Refusal(403, 'requests from other sites are refused');
    }
    const origin = request.headers.origin;
    if (origin === undefined) {
      if (request.method !== 'GET' && request.method !== 'HEAD') throw new Refusal(403, 'a request that changes anything must say its Origin');
      return;
    }
    if (!this.hosts.has(originHost(origin))) throw new Refusal(403, `requests from ${origin} are refused`);
  }

  /**
   * The one-time token: a session once (its cookie to set), then spent. Compared in constant time;
   * a wrong one is refused as no session at all.
   */
  redeem(given: string): string | undefined {
    if (this.token === undefined || !same(given, this.token)) return undefined;
    this.token = undefined;
    const id = secret();
    this.sessions.set(id, secret());
    return `${this.cookie}=${id}; HttpOnly; SameSite=Strict; Path=/`;
  }

  /** The request's session's CSRF token; 401 without a valid session. */
  session(request: IncomingMessage): string {
    const csrf = this.sessionOf(request);
    if (csrf === undefined) throw new Refusal(401, 'open the URL `stack dashboard` printed (it signs this browser in)');
    return csrf;
  }

  signedIn(request: IncomingMessage): boolean {
    return this.sessionOf(request) !== undefined;
  }

  /** Any cookie of our name that is a session: another page of this host may have set one more (cookie tossing). */
  private sessionOf(request: IncomingMessage): string | undefined {
    for (const id of cookiesOf(request.headers.cookie ?? '', this.cookie)) {
      const csrf = this.sessions.get(id);
      if (csrf !== undefined) return csrf;
    }
    return undefined;
  }

  /** A POST: a session, and its CSRF token in the header. */
  checkPost(request: IncomingMessage): void {
    const csrf = this.session(request);
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !same(given, csrf)) throw new Refusal(403, `missing or wrong ${CSRF_HEADER} header (GET /api/v1/session gives it)`);
  }
}

export function withSecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
}

/** The names a browser may use for `listen`: itself, or every address of this machine when it is a wildcard. */
function namesOf(listen: string): string[] {
  if (listen !== '0.0.0.0' && listen !== '::') return [listen];
  return Object.values(networkInterfaces()).flatMap((addresses) => (addresses ?? []).filter((address) => listen === '::' || address.family === 'IPv4').map((address) => address.address));
}

function originHost(origin: string): string {
  if (!URL.canParse(origin)) return '';
  const url = new URL(origin);
  return url.protocol === 'http:' ? url.host.toLowerCase() : '';
}

function cookiesOf(header: string, name: string): string[] {
  return header
    .split(';')
    .map((part) => part.trim().split('='))
    .filter(([key]) => key === name)
    .map(([, ...value]) => value.join('='));
}

/** How many Host headers the request carried (node keeps only the first). */
function hostsIn(request: IncomingMessage): number {
  return request.rawHeaders.filter((name, index) => index % 2 === 0 && name.toLowerCase() === 'host').length;
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
