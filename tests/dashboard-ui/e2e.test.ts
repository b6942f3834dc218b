// `stack dashboard` end to end: the real command on a real stack of `sleep` services (with and
// without `stack watch`), its printed link opened in a real headless Chromium, each browser in a
// context of its own (its own cookies). The screenshots in docs/screenshots/ are taken here: written
// there by `npm run screenshots` (STACK_SCREENSHOTS=1), otherwise into a temporary directory (each
// run's differ: pids, times).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, pageProblems, waitForSelector, waitInPage } from '../support/browser.js';
import { Cleanup } from '../support/controller.js';
import { uniqueMarker } from '../support/marker.js';
import { stack } from '../support/stack-cli.js';

const FOR_DOCS = process.env.STACK_SCREENSHOTS === '1';
const SCREENSHOTS = FOR_DOCS ? new URL('../../docs/screenshots/', import.meta.url).pathname : mkdtempSync(join(tmpdir(), 'stack-screenshots-'));
const VIEWPORT = { width: 1280, height: 720 };

const cleanup = new Cleanup();
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pages: Page[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  if (!existsSync(new URL('../../dist/dashboard/app.js', import.meta.url))) throw new Error('dist/dashboard/app.js is missing: run `npm run build` first');
  browser = await launchBrowser();
});
afterEach(async () => {
  const opened = pages.splice(0);
  for (const context of contexts.splice(0)) await context.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
  await cleanup.run();
  for (const page of opened) expect(pageProblems(page), 'errors in the page').toEqual([]);
});
afterAll(async () => {
  await browser?.close();
  if (!FOR_DOCS) rmSync(SCREENSHOTS, { recursive: true, force: true });
});

/** A shop: db ← api ← web, and a worker on its own; `extra` is YAML appended under `services:`. */
function shop(marker: string, { head = '', extra = '' } = {}): string {
  const sleeper = (name: string, more = '') => `  ${name}:\n    command: sleep ${marker}\n${more}`;
  return `version: 1\nproject: shop\n${head}services:\n${sleeper('db')}${sleeper('api', '    dependsOn: [db]\n')}${sleeper('web', '    dependsOn: [api]\n')}${sleeper('worker')}${extra}`;
}

/** `stack dashboard -f file`, and the link it printed (with its one-time token). */
async function dashboard(file: string): Promise<URL> {
  const cli = cleanup.cli(['dashboard', '-f', file]);
  const [link = ''] = await cli.waitForStdout(/http:\/\/\S+\?token=\S+/, 20_000, 'the dashboard to print its link');
  return new URL(link);
}

/** A browser of its own (no cookie yet). */
async function freshContext(): Promise<BrowserContext> {
  if (!browser) throw new Error('the browser is not started');
  const context = await browser.createBrowserContext();
  contexts.push(context);
  return context;
}

/** Opens `url` in a fresh browser, checked for page errors after the test. */
async function open(url: string, selector: string, context?: BrowserContext): Promise<Page> {
  const page = await openPage(context ?? (await freshContext()), url, selector, 20_000);
  await page.setViewport(VIEWPORT);
  pages.push(page);
  return page;
}

const observedOf = (page: Page, service: string) => page.$eval(`tr[data-service="${service}"] .col-observed`, (cell) => cell.textContent);

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) as `${string}.png`, fullPage: true });
}

// Each wait has its own deadline; a test as a whole may take longer than the default on 2 busy cores.
describe('stack dashboard in a real browser, end to end', { timeout: 120_000 }, () => {
  it('shows the real stack under `stack watch`; a kill -9 goes by restarting to running on the page without a reload; the graph draws it', async () => {
    const m = cleanup.marker(uniqueMarker());
    // A backoff long enough that the status between the exit and the new start reaches the page.
    const s = cleanup.scratch(shop(m, { head: 'defaults:\n  restart: { backoff: { initial: 1500ms, max: 1500ms } }\n' }));
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await controller.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 20_000, 'the "watching" line');
    const page = await open((await dashboard(s.file)).href, 'tr[data-service]');
    await waitInPage(page, 'four services running', () => [...document.querySelectorAll('tr[data-service] .col-observed')].filter((cell) => cell.textContent === 'running').length === 4, 20_000);
    expect(await page.$$eval('tr[data-service]', (rows) => rows.map((row) => row.getAttribute('data-service')))).toEqual(['db', 'api', 'web', 'worker']);
    expect(await page.$eval('header .source', (source) => source.textContent)).toMatch(/^controller pid \d+/);
    const pid = Number(await page.$eval('tr[data-service="web"] .col-pid', (cell) => cell.textContent));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe(`sleep\0${m}\0`);
    await screenshot(page, 'services');

    // Every text web's OBSERVED cell shows from now on, in this same document.
    await page.evaluate((killed) => {
      const seen: string[] = [];
      Object.assign(window, { seen, killed });
      const cell = () => document.querySelector('tr[data-service="web"] .col-observed')?.textContent ?? '';
      new MutationObserver(() => seen.at(-1) !== cell() && seen.push(cell())).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, String(pid));
    process.kill(pid, 'SIGKILL');
    await waitInPage(page, 'web running again with a new pid', () => {
      const row = document.querySelector('tr[data-service="web"]');
      return row?.querySelector('.col-observed')?.textContent === 'running' && row.querySelector('.col-pid')?.textContent !== (window as unknown as { killed: string }).killed && row.querySelector('.col-restarts')?.textContent === '1';
    }, 20_000);
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.at(-1)).toBe('running');
    // Not running in between: killed (the controller's backoff), then on its way again.
    expect(seen.slice(0, -1).some((text) => text !== 'running'), `web's cell showed ${JSON.stringify(seen)}`).toBe(true);
    // Its page tells the story: killed, restarting (attempt 1), as the controller said.
    await page.click('tr[data-service="web"] td.name a');
    await waitInPage(page, 'web\'s timeline', () => document.querySelectorAll('table.timeline tr').length >= 2);
    const timeline = await page.$$eval('table.timeline tr', (rows) => rows.map((row) => [...row.querySelectorAll('td')].slice(1).map((cell) => cell.textContent).join(' ')));
    expect(timeline).toEqual(expect.arrayContaining(['exited killed (SIGKILL)', expect.stringMatching(/^restarting attempt 1 of \d+$/)]));

    await page.click('nav a[href="/graph"]');
    await waitForSelector(page, 'svg.graph-svg');
    expect(await page.evaluate(() => (window as unknown as { seen?: string[] }).seen !== undefined), 'the same document: no reload').toBe(true);
    await waitInPage(page, 'four nodes', () => document.querySelectorAll('svg.graph-svg [data-service]').length === 4);
    expect(await page.$$eval('svg.graph-svg .edge', (edges) => edges.map((edge) => `${edge.getAttribute('data-from')}→${edge.getAttribute('data-to')}`).sort())).toEqual(['api→db', 'web→api']);
    await screenshot(page, 'graph');
  });

  it('a stop button, confirmed, edits stack.yaml (state: stopped) and the row shows stopped', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(shop(m));
    const controller = cleanup.cli(['watch', '--interval', '1s', '-f', s.file]);
    await controller.waitForStderr(/watching .*stack\.yaml \(pid \d+\)/, 20_000, 'the "watching" line');
    const page = await open((await dashboard(s.file)).href, 'tr[data-service="worker"]');
    await waitInPage(page, 'worker running', () => document.querySelector('tr[data-service="worker"] .col-observed')?.textContent === 'running', 20_000);

    await page.click('tr[data-service="worker"] button.verb-stop');
    await waitForSelector(page, '[role="dialog"]');
    expect(await page.$eval('[role="dialog"] h2', (title) => title.textContent)).toBe('stop worker?');
    expect(readFileSync(s.file, 'utf8')).not.toContain('state: stopped');
    await page.click('[role="dialog"] button.confirm');
    await waitForSelector(page, '[role="dialog"] .run-output', 20_000);
    expect(await page.$eval('[role="dialog"] .run-output p', (line) => line.textContent)).toBe('exit code 0');
    expect(readFileSync(s.file, 'utf8')).toMatch(/ {2}worker:\n {4}command: sleep \d+\n {4}state: stopped\n/);
    await page.click('[role="dialog"] button.cancel');
    await waitInPage(page, 'worker stopped', () => document.querySelector('tr[data-service="worker"] .col-observed')?.textContent === 'stopped', 20_000);
    expect(await observedOf(page, 'web')).toBe('running');
  });

  it('the plan page shows a service appended to stack.yaml without a reload; apply, confirmed, starts it', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(shop(m));
    const applied = stack(['apply', '--yes', '-f', s.file]);
    expect(applied.code, applied.stderr).toBe(0);
    const link = await dashboard(s.file);
    const page = await open(link.href, 'tr[data-service]');
    await page.click('nav a[href="/plan"]');
    await waitForSelector(page, 'section.plan .empty');

    s.write(shop(m, { extra: `  cache:\n    command: sleep ${m}\n    env: { SIZE: "64m" }\n` }).replace('    dependsOn: [db]\n', '    dependsOn: [db]\n    env: { LEVEL: debug }\n'));
    await waitForSelector(page, '.action[data-service="cache"]', 20_000);
    await waitForSelector(page, '.action[data-service="api"] .field-diff');
    expect(await page.$eval('.action[data-service="api"] .field-diff', (diff) => diff.textContent)).toContain('env.LEVEL');
    await screenshot(page, 'plan');

    await page.click('button.apply');
    await waitForSelector(page, '[role="dialog"]');
    expect(await page.$$eval('[role="dialog"] .moves', (lines) => lines.map((line) => line.textContent))).toEqual(expect.arrayContaining([expect.stringMatching(/ cache$/)]));
    await page.click('[role="dialog"] button.confirm');
    await waitForSelector(page, '[role="dialog"] .run-output', 30_000);
    expect(await page.$eval('[role="dialog"] .run-output p', (line) => line.textContent)).toBe('exit code 0');
    await page.click('[role="dialog"] button.cancel');
    await page.click('nav a[href="/"]');
    await waitInPage(page, 'cache running', () => document.querySelector('tr[data-service="cache"] .col-observed')?.textContent === 'running', 20_000);
    const cachePid = Number(await page.$eval('tr[data-service="cache"] .col-pid', (cell) => cell.textContent));
    expect(readFileSync(`/proc/${cachePid}/cmdline`, 'utf8')).toBe(`sleep\0${m}\0`);
  });

  it('refuses a browser without the token: the page is a 401 that says to open the printed link', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(shop(m));
    const link = await dashboard(s.file);
    const page = await (await freshContext()).newPage();
    const answer = await page.goto(link.origin + '/', { waitUntil: 'domcontentloaded', timeout: 10_000 });
    expect(answer?.status()).toBe(401);
    expect(await page.evaluate(() => document.body.innerText)).toContain('open the URL `stack dashboard` printed');
    // The link itself still signs in (the refusal spent nothing).
    const signedIn = await open(link.href, 'tr[data-service]');
    expect(new URL(signedIn.url()).search).toBe('');
  });

  it('refuses a cross-origin POST from a page elsewhere, even with the session cookie: 403, and nothing changes', async () => {
    const m = cleanup.marker(uniqueMarker());
    const s = cleanup.scratch(shop(m));
    expect(stack(['apply', '--yes', '-f', s.file]).code).toBe(0);
    const link = await dashboard(s.file);
    const context = await freshContext();
    await open(link.href, 'tr[data-service="worker"]', context);
    const before = readFileSync(s.file, 'utf8');

    // Another origin (another port of 127.0.0.1: the same site, so the SameSite cookie goes along).
    const target = `${link.origin}/api/v1/services/worker/stop`;
    const elsewhere = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><script>fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"commit":false}' })</script>`);
    });
    servers.push(elsewhere);
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const attacker = await context.newPage();
    const answered = attacker.waitForResponse((response) => response.url() === target, { timeout: 10_000 });
    await attacker.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`, { waitUntil: 'domcontentloaded' });
    const answer = await answered;
    expect(answer.status()).toBe(403);
    expect(readFileSync(s.file, 'utf8')).toBe(before);
    // The dashboard answers the signed-in page still, and worker runs.
    const check = await open(`${link.origin}/`, 'tr[data-service="worker"]', context);
    await waitInPage(check, 'worker running', () => document.querySelector('tr[data-service="worker"] .col-observed')?.textContent === 'running');
  });
});
