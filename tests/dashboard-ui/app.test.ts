import type { Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { waitForSelector, waitInPage } from '../support/browser.js';
import { waitFor } from '../support/wait.js';
import { CSRF, row, threeServices } from './fake-backend.js';
import { browserHarness } from './harness.js';

// The dashboard's page (dist/dashboard/, built by `npm run build`) in a real headless Chromium,
// against a fake backend that speaks docs/dashboard.md's routes and sends the page's real CSP.

const harness = browserHarness();
const { open } = harness;
const backend = () => harness.backend;

const cellText = (page: Page, service: string, column: string) =>
  page.$eval(`tr[data-service="${service}"] .col-${column}`, (cell) => cell.textContent);

describe('the dashboard page in a real browser', () => {
  it('shows the services table: one row per service, with stack top\'s cells and colours', async () => {
    const page = await open('/', 'tr[data-service]');
    await waitInPage(page, 'three rows', () => document.querySelectorAll('tr[data-service]').length === 3);
    expect(await page.$$eval('tr[data-service]', (rows) => rows.map((each) => each.getAttribute('data-service')))).toEqual(['db', 'api', 'web']);
    expect(await cellText(page, 'db', 'observed')).toBe('running');
    expect(await cellText(page, 'db', 'ports')).toBe('5432✓');
    expect(await page.$eval('tr[data-service="db"]', (each) => each.className)).toBe('tone-ok');
    const color = await page.$eval('tr[data-service="db"] .col-observed', (cell) => getComputedStyle(cell).color);
    expect(color).not.toBe(await page.$eval('tr[data-service="db"] .col-pid', (cell) => getComputedStyle(cell).color));
  });

  it('updates a row when the stream sends a status, without reloading', async () => {
    const page = await open('/', 'tr[data-service="web"]');
    await waitFor(() => backend().streams.size > 0, 5000, 'the page to open /api/v1/stream');
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const crashed = threeServices();
    crashed.services[2] = row('web', { observed: 'crashed', pid: null, restarts: 3, detail: 'exited with code 1' });
    backend().sendStatus(crashed);
    await waitInPage(page, 'web to show crashed', () => document.querySelector('tr[data-service="web"] .col-observed')?.textContent === 'crashed');
    expect(await cellText(page, 'web', 'restarts')).toBe('3');
    expect(await page.$eval('tr[data-service="web"]', (each) => each.className)).toBe('tone-bad');
    expect(await page.$eval('tr[data-service="web"] .why', (cell) => cell.textContent)).toBe('exited with code 1');
    expect(await cellText(page, 'db', 'observed')).toBe('running');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('a hidden tab holds no stream; shown again, it opens one and follows', async () => {
    const page = await open('/', 'tr[data-service="web"]');
    await waitInPage(page, 'the stream open', () => !document.querySelector('header .source')?.textContent?.includes('reconnecting'));
    const before = backend().streams.size;
    const show = (state: 'hidden' | 'visible') =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { value, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await show('hidden');
    await waitFor(() => backend().streams.size === before - 1, 5000, 'the stream closed');
    await show('visible');
    await waitFor(() => backend().streams.size === before, 5000, 'a stream open again');
    await waitInPage(page, 'the stream open', () => !document.querySelector('header .source')?.textContent?.includes('reconnecting'));
    const crashed = threeServices();
    crashed.services[0] = row('db', { observed: 'crashed', pid: null });
    backend().sendStatus(crashed);
    await waitInPage(page, 'db to show crashed', () => document.querySelector('tr[data-service="db"] .col-observed')?.textContent === 'crashed');
  });

  it('marks the rows of the services a plan would move (pendingServices), as the stream says', async () => {
    const page = await open('/', 'tr[data-service="web"]');
    // This page's own stream is open (not only one of an earlier page's): the header stops saying it reconnects.
    await waitInPage(page, 'the stream open', () => !document.querySelector('header .source')?.textContent?.includes('reconnecting'));
    expect(await page.$$('tr[data-service] .pending')).toHaveLength(0);
    backend().sendStatus({ ...threeServices(), pending: 1, pendingServices: ['web'] });
    await waitInPage(page, 'web marked pending', () => document.querySelector('tr[data-service="web"] .pending') !== null);
    expect(await page.$$eval('tr[data-service] .pending', (marks) => marks.map((mark) => mark.closest('tr')?.getAttribute('data-service')))).toEqual(['web']);
  });

  it('draws the dependency graph: 3 nodes, 2 edges, reached by a link without a reload', async () => {
    const page = await open('/', 'tr[data-service]');
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    await page.click('nav a[href="/graph"]');
    await waitForSelector(page, 'svg.graph-svg');
    expect(new URL(page.url()).pathname).toBe('/graph');
    expect(await page.$$eval('svg .node', (nodes) => nodes.map((node) => node.getAttribute('data-service')))).toEqual(['db', 'api', 'web']);
    const edges = await page.$$eval('svg path.edge', (paths) => paths.map((path) => `${path.getAttribute('data-from')}→${path.getAttribute('data-to')}`));
    expect(edges).toEqual(['api→db', 'web→api']);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('asks before a verb, naming what moves with it, then POSTs it with the CSRF token', async () => {
    const page = await open('/', 'tr[data-service="api"] button.verb-stop');
    await page.click('tr[data-service="api"] button.verb-stop');
    await waitForSelector(page, '[role="dialog"]');
    expect(await page.$eval('[role="dialog"] h2', (title) => title.textContent)).toBe('stop api?');
    expect(await page.$eval('[role="dialog"] .moves', (line) => line.textContent)).toBe('It also stops: web.');
    expect(backend().posted).toEqual([]);
    await page.click('[role="dialog"] .commit-option input');
    await page.click('[role="dialog"] button.confirm');
    await waitForSelector(page, '[role="dialog"] .run-output');
    expect(backend().posted).toEqual([{ path: '/api/v1/services/api/stop', csrf: CSRF, origin: backend().url, body: { commit: true } }]);
    expect(await page.$eval('[role="dialog"] .run-output pre', (output) => output.textContent)).toBe('done: /api/v1/services/api/stop');
  });

  it('sends nothing when the confirmation is cancelled', async () => {
    const page = await open('/', 'tr[data-service="db"] button.verb-restart');
    await page.click('tr[data-service="db"] button.verb-restart');
    await waitForSelector(page, '[role="dialog"]');
    expect(await page.$eval('[role="dialog"] .moves', (line) => line.textContent)).toBe('Nothing else moves with it.');
    await page.click('[role="dialog"] button.cancel');
    await waitInPage(page, 'the dialog to close', () => document.querySelector('[role="dialog"]') === null);
    expect(backend().posted).toEqual([]);
  });
});
