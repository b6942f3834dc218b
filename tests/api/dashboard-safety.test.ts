// `stack dashboard`'s safety (docs/dashboard.md, "Safety"): the one-time token, the session
// cookie, Host (DNS rebinding), Origin and CSRF, the security headers, and a port in use; on the
// real command, spoken to with node's fetch.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cleanup } from '../support/controller.js';
import { appliedWeb, openDashboard } from '../support/dashboard.js';
import { spawnCli } from '../support/stack-cli.js';
import { waitFor } from '../support/wait.js';

const cleanup = new Cleanup();
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await cleanup.run();
});

const scratch = () => appliedWeb(cleanup);

describe('stack dashboard: who may use it', () => {
  it('the printed link signs in once: a cookie and a redirect to /, then the token is spent; nothing answers without the cookie', async () => {
    const s = scratch();
    const cli = cleanup.cli(['dashboard', '-f', s.file]);
    const [link = ''] = await cli.waitForStdout(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}\b/, 20_000);
    const base = new URL(link).origin;

    const refused = await fetch(`${base}/api/v1/status`);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toMatch(/^open the URL `stack dashboard` printed.*\n$/);
    expect((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status).toBe(401);

    const signIn = await fetch(link, { redirect: 'manual' });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe('/');
    const setCookie = signIn.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^stack_session_\d+=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    const cookie = setCookie.split(';')[0] as string;

    // Spent: the same link signs nobody else in; opened again in the browser it signed in, it leads to the page.
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    const again = await fetch(link, { redirect: 'manual', headers: { cookie } });
    expect([again.status, again.headers.get('location'), again.headers.get('set-cookie')]).toEqual([303, '/', null]);
    const status = await fetch(`${base}/api/v1/status`, { headers: { cookie } });
    expect(status.status).toBe(200);
    expect(status.headers.get('cache-control')).toBe('no-store');
    expect((await fetch(`${base}/api/v1/status`, { headers: { cookie: 'stack_session=forged' } })).status).toBe(401);

    const page = await fetch(`${base}/services/web`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('a Host not ours is 421 (DNS rebinding), signed in or not; localhost and [::1] with the port are ours', async () => {
    const s = scratch();
    const d = await openDashboard(cleanup, s.file);
    const port = new URL(d.base).port;
    // fetch will not send a Host of our choosing: node:http does.
    const statusWith = (host: string, cookie?: string) =>
      new Promise<number>((resolve, reject) => {
        const sent = request({ host: '127.0.0.1', port, path: '/api/v1/status', headers: { host, ...(cookie ? { cookie } : {}) } }, (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        });
        sent.once('error', reject).end();
      });
    for (const host of [`evil.example:${port}`, 'localhost', `127.0.0.1:${Number(port) + 1}`, `127.0.0.1.evil.example:${port}`]) {
      expect(await statusWith(host, d.cookie), host).toBe(421);
      expect(await statusWith(host), host).toBe(421);
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `127.0.0.1:${port}`]) {
      expect(await statusWith(host, d.cookie), host).toBe(200);
    }
  });

  it('a POST without the CSRF header, with a wrong one, without Origin or from another origin is 403 and does nothing; a GET from another origin is 403', async () => {
    const s = scratch();
    const d = await openDashboard(cleanup, s.file);
    const before = (await d.get('/api/v1/status')).json().services[0].pid;
    const json = { 'content-type': 'application/json' };
    const attempts: Record<string, string>[] = [
      { ...json, origin: d.base },
      { ...json, origin: d.base, 'x-stack-csrf': 'wrong' },
      { ...json, 'x-stack-csrf': d.csrf },
      { ...json, origin: 'http://evil.example', 'x-stack-csrf': d.csrf },
      { ...json, origin: 'null', 'x-stack-csrf': d.csrf },
    ];
    for (const headers of attempts) {
      const answer = await d.post('/api/v1/services/web/stop', {}, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
    }
    expect((await d.get('/api/v1/status', { origin: 'http://evil.example' })).status).toBe(403);
    const after = (await d.get('/api/v1/status')).json().services[0];
    expect(after).toMatchObject({ pid: before, observed: 'running' });
    expect(readFileSync(s.file, 'utf8')).not.toMatch(/state: stopped/);
  });

  it('SIGTERM ends it with exit 0, and nothing answers after', async () => {
    const s = scratch();
    const d = await openDashboard(cleanup, s.file);
    expect((await d.get('/api/v1/status')).status).toBe(200);
    d.cli.child.kill('SIGTERM');
    expect((await d.cli.done).code).toBe(0);
    await expect(fetch(`${d.base}/api/v1/status`)).rejects.toThrow();
  });

  it('--open gives the browser a page of its own in .stack/ (0600) that leads to the link: the token is on no command line', async () => {
    const s = scratch();
    // An xdg-open that writes down what it was given, and the page and its mode as it found them.
    const bin = join(s.dir, 'bin');
    mkdirSync(bin);
    const seen = join(bin, 'seen');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\npage="\${1#file://}"\n{ printf '%s\\n' "$*"; stat -c %a "$page"; cat "$page"; } > "${seen}.part" && mv "${seen}.part" "${seen}"\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const cli = cleanup.cli(['dashboard', '-f', s.file, '--open'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    const [link = ''] = await cli.waitForStdout(/http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}\b/, 20_000);
    await waitFor(() => existsSync(seen), 20_000, 'xdg-open to be run');
    const [argv = '', mode, ...page] = readFileSync(seen, 'utf8').split('\n');
    const token = new URL(link).searchParams.get('token') as string;
    expect(argv).not.toContain(token);
    expect(argv).toMatch(new RegExp(`^file://${s.dir}/\\.stack/dashboard-[0-9a-f]{16}\\.html$`));
    expect(mode).toBe('600');
    expect(page.join('\n')).toContain(`content="0;url=${link.replaceAll('&', '&amp;')}"`);
    // The link still signs in once: the browser, following the page.
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);
  });

  it('a port in use is one line and exit 1', async () => {
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const s = scratch();
    const result = await spawnCli(['dashboard', '-f', s.file, '--port', String(port)]).done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use\\n`));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
