// `stack dashboard` under attack (the review of issue 27): requests a browser would not send but a
// proxy, a page on another port of this host or a curious person would, spoken to the real
// command over raw sockets (node's fetch and http normalise the very headers tried here).
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { launchBrowser, waitForSelector } from '../support/browser.js';
import { Cleanup } from '../support/controller.js';
import { appliedWeb, openDashboard, type OpenDashboard } from '../support/dashboard.js';
import { spawnCli } from '../support/stack-cli.js';
import { waitFor } from '../support/wait.js';

const cleanup = new Cleanup();
const sockets: { destroy(): void }[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  // Newest first: the browser before the server its connections keep open.
  for (const close of closers.splice(0).reverse()) await close();
  await cleanup.run();
});

const scratch = () => appliedWeb(cleanup);

async function signedIn(): Promise<OpenDashboard & { port: string }> {
  const d = await openDashboard(cleanup, scratch().file);
  return { ...d, port: new URL(d.base).port };
}

/**
 * Sends `head` (lines, without the blank line that ends it) as written; the answer's status and
 * everything after its head, once the server closed. With `hold`, as soon as the head came, the
 * connection left open (an event stream a page keeps).
 */
function raw(port: string, head: string[], hold = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    sockets.push(socket);
    let text = '';
    const answer = () => ({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (hold && text.includes('\r\n\r\n')) resolve(answer());
    });
    socket.once('end', () => resolve(answer()));
    socket.once('error', reject);
    socket.write(`${[...head, ...(hold ? [] : ['Connection: close'])].join('\r\n')}\r\n\r\n`);
  });
}

/** Opens an event stream over a raw socket and resolves once its head came: a page that holds it. */
async function holdStream(port: string, cookie: string): Promise<number> {
  return (await raw(port, ['GET /api/v1/stream HTTP/1.1', `Host: 127.0.0.1:${port}`, `Cookie: ${cookie}`], true)).status;
}

describe('stack dashboard: requests no browser of ours sends', () => {
  it('an absolute-form target, a `//host` path or a second Host header is 421 even with our Host and a session', async () => {
    const d = await signedIn();
    const ours = [`Host: 127.0.0.1:${d.port}`, `Cookie: ${d.cookie}`];
    expect((await raw(d.port, ['GET /api/v1/status HTTP/1.1', ...ours])).status).toBe(200);
    expect((await raw(d.port, ['GET http://evil.example/api/v1/status HTTP/1.1', ...ours])).status).toBe(421);
    expect((await raw(d.port, ['GET //evil.example/api/v1/status HTTP/1.1', ...ours])).status).toBe(421);
    expect((await raw(d.port, ['GET /api/v1/status HTTP/1.1', ...ours, 'Host: evil.example'])).status).toBe(421);
  });

  it('a page on another port of this host (same site: our cookie goes along) is refused by Sec-Fetch-Site, except a navigation to a page', async () => {
    const d = await signedIn();
    const from = (site: string, mode: string, path: string) => raw(d.port, [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${d.port}`, `Cookie: ${d.cookie}`, `Sec-Fetch-Site: ${site}`, `Sec-Fetch-Mode: ${mode}`]);
    // <img src=…/api/v1/plan> on http://127.0.0.1:3000 would run `stack plan`; a fetch in no-cors mode sends no Origin.
    expect((await from('same-site', 'no-cors', '/api/v1/plan')).status).toBe(403);
    expect((await from('cross-site', 'no-cors', '/api/v1/logs?service=web')).status).toBe(403);
    expect((await from('same-site', 'navigate', '/api/v1/status')).status).toBe(403);
    expect((await from('same-site', 'navigate', '/services/web')).status).toBe(200);
    expect((await from('same-origin', 'cors', '/api/v1/status')).status).toBe(200);
    expect((await from('none', 'navigate', '/')).status).toBe(200);
  });
});

describe('stack dashboard: its session', () => {
  it("the cookie's name carries the port (two dashboards on one host keep their own), and a second cookie of that name set by another page does not sign it out", async () => {
    const d = await signedIn();
    const [name, id] = d.cookie.split('=') as [string, string];
    expect(name).toBe(`stack_session_${d.port}`);
    const withCookie = (cookie: string) => raw(d.port, ['GET /api/v1/status HTTP/1.1', `Host: 127.0.0.1:${d.port}`, `Cookie: ${cookie}`]);
    expect((await withCookie(`${name}=tossed; ${name}=${id}`)).status).toBe(200);
    expect((await withCookie(`${name}=tossed`)).status).toBe(401);
    expect((await withCookie(`stack_session=${id}`)).status).toBe(401);
  });

  it('the printed link clicked on a page of another site signs in: the SameSite cookie goes with the next request (a page of ours refreshes to /, no redirect of that site)', async () => {
    const s = scratch();
    const cli = cleanup.cli(['dashboard', '-f', s.file]);
    const [link = ''] = await cli.waitForStdout(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}\b/, 20_000);
    // 127.0.0.2 is another site than 127.0.0.1 (a browser terminal, a chat, a notebook showing the link).
    const elsewhere: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><a id="go" href="${link}">the dashboard</a>`);
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.2', resolve));
    closers.push(async () => {
      elsewhere.closeAllConnections();
      await new Promise((resolve) => elsewhere.close(resolve));
    });
    const browser = await launchBrowser();
    closers.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.2:${(elsewhere.address() as AddressInfo).port}/`, { waitUntil: 'domcontentloaded' });
    await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('#go')]);
    await waitForSelector(page, 'tr[data-service="web"]', 15_000);
    expect(page.url()).toBe(`${new URL(link).origin}/`);
  });

  it('a HEAD of the printed link (a link checker) does not spend its token', async () => {
    const s = scratch();
    const cli = cleanup.cli(['dashboard', '-f', s.file]);
    const [link = ''] = await cli.waitForStdout(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}\b/, 20_000);
    const head = await fetch(link, { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(401);
    expect(head.headers.get('set-cookie')).toBeNull();
    const signIn = await fetch(link, { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('set-cookie')).toMatch(/^stack_session_\d+=/);
  });
});

describe('stack dashboard: its resources', () => {
  it('at most 64 event streams are open at once (429 past that); a closed one frees its place', async () => {
    const d = await signedIn();
    const held = await Promise.all(Array.from({ length: 64 }, () => holdStream(d.port, d.cookie)));
    expect(held.every((status) => status === 200)).toBe(true);
    const refused = await raw(d.port, ['GET /api/v1/logs?service=web HTTP/1.1', `Host: 127.0.0.1:${d.port}`, `Cookie: ${d.cookie}`]);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).error.message).toMatch(/^64 event streams are open already/);
    expect((await d.get('/api/v1/status')).status).toBe(200);
    for (const socket of sockets.splice(0)) socket.destroy();
    await waitFor(async () => (await holdStream(d.port, d.cookie)) === 200, 10_000, 'a stream to open once the others closed');
  });
});

describe('stack dashboard: --listen', () => {
  it('an address this machine lacks, or a name that resolves to none, is one line and exit 1', async () => {
    const s = scratch();
    for (const [listen, said] of [
      ['203.0.113.7', 'cannot listen on 203.0.113.7: not an address of this machine'],
      ['no-such-host.invalid', 'cannot listen on no-such-host.invalid: not an address of this machine'],
    ]) {
      const result = await spawnCli(['dashboard', '-f', s.file, '--listen', listen as string]).done;
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr.split('\n')[0]).toBe(`error: ${said}`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('an empty --listen (an unset variable) is refused, not every address', async () => {
    const result = await spawnCli(['dashboard', '-f', scratch().file, '--listen', '']).done;
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe('error: --listen takes an address, not ""');
  });

  it('a wildcard, however written (`0` is 0.0.0.0), says every address answers, over plain HTTP, and prints a link to the loopback', async () => {
    const s = scratch();
    for (const listen of ['0.0.0.0', '0']) {
      const d = await openDashboard(cleanup, s.file, ['--listen', listen]);
      expect(d.link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect(d.cli.stdout()).toMatch(/^note: listening on every address of this machine \(0\.0\.0\.0; .*over plain HTTP/m);
      expect((await d.get('/api/v1/status')).status).toBe(200);
      d.cli.child.kill('SIGTERM');
      expect((await d.cli.done).code).toBe(0);
    }
  });
});
