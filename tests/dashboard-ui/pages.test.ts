import { describe, expect, it } from 'vitest';
import { waitForSelector, waitInPage } from '../support/browser.js';
import { waitFor } from '../support/wait.js';
import { CSRF } from './fake-backend.js';
import { browserHarness } from './harness.js';

// The service, plan and history pages of the dashboard in a real headless Chromium, against the
// fake backend (tests/dashboard-ui/fake-backend.ts).

const harness = browserHarness();
const backend = () => harness.backend;

describe('the other pages in a real browser', () => {
  it('shows a service\'s log, followed, and a search keeps the matching lines', async () => {
    const page = await harness.open('/services/web', '.log-lines');
    await waitInPage(page, 'the log\'s 4 lines', () => document.querySelector('.log-lines')?.textContent?.split('\n').length === 4);
    expect(backend().logRequests.at(-1)).toBe('?service=web&lines=200&follow=1');
    await page.type('.log-search', 'MISSING');
    await waitInPage(page, 'the search to filter', () => document.querySelector('.log-count')?.textContent === '1 of 4 lines');
    expect(await page.$eval('.log-lines', (log) => log.textContent)).toBe('GET /missing 404');
    expect(await page.$eval('.timeline', (table) => table.textContent)).toContain('attempt 1 of 5');
    // stderr's line is marked; with times, each line shows when it was read (in the browser's zone).
    expect(await page.$eval('.log-lines .stderr', (line) => line.textContent)).toBe('GET /missing 404');
    await page.click('.log-times');
    await waitInPage(page, 'the times shown', () => document.querySelectorAll('.log-lines .at').length === 1);
    expect(await page.$eval('.log-lines .at', (at) => at.textContent)).toMatch(/^\d\d:\d\d:03\.250 $/);
  });

  it('asks for the lines read since a time ago when a window is chosen', async () => {
    const page = await harness.open('/services/web', '.log-since');
    await waitFor(() => backend().logRequests.at(-1) === '?service=web&lines=200&follow=1', 5000, 'the first log request');
    await page.select('.log-since', '15m');
    await waitFor(() => backend().logRequests.at(-1) === '?service=web&lines=5000&since=15m&follow=1', 5000, 'a request with since');
    await waitInPage(page, 'the lines again', () => document.querySelector('.log-lines')?.textContent?.split('\n').length === 4);
  });

  it('reads a service\'s history again when the controller tells of it, without a reload', async () => {
    const page = await harness.open('/services/web', '.timeline');
    await waitFor(() => backend().streams.size > 0, 5000, 'the page to open /api/v1/stream');
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    const reads = () => backend().requests.filter((path) => path === '/api/v1/services/web/history').length;
    const before = reads();
    backend().sendEvent({ formatVersion: 1, at: '2026-01-02T10:05:00Z', type: 'exited', service: 'db', code: 1, signal: null });
    backend().sendEvent({ formatVersion: 1, at: '2026-01-02T10:05:01Z', type: 'exited', service: 'web', code: 1, signal: null });
    await waitFor(() => reads() === before + 1, 5000, 'the history read again');
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
  });

  it('stops following when asked: the log is read again without follow', async () => {
    const page = await harness.open('/services/api', '.log-follow');
    await waitFor(() => backend().logRequests.at(-1)?.includes('service=api'), 5000, 'the log request');
    await page.click('.log-follow');
    await waitFor(() => backend().logRequests.at(-1) === '?service=api&lines=200', 5000, 'a log request without follow');
    expect(await page.$eval('.log-follow', (box) => (box as HTMLInputElement).checked)).toBe(false);
  });

  it('previews the plan with its field diffs and applies exactly that plan after a confirmation', async () => {
    const page = await harness.open('/plan', '.action[data-service="web"]');
    expect(await page.$eval('.action[data-service="web"] .field-diff', (diff) => diff.textContent)).toBe('env.PORT: "8080" → "8081"');
    await page.click('button.apply');
    await waitForSelector(page, '[role="dialog"]');
    expect(await page.$eval('[role="dialog"] .moves', (line) => line.textContent)).toBe('~ restart web');
    expect(backend().posted).toEqual([]);
    await page.click('[role="dialog"] button.confirm');
    await waitForSelector(page, '[role="dialog"] .run-output');
    expect(backend().posted).toEqual([{ path: '/api/v1/apply', csrf: CSRF, origin: backend().url, body: { planHash: 'hash-1' } }]);
  });

  it('lists stack.yaml\'s commits, newest first, each with its desired-state diff', async () => {
    const page = await harness.open('/history', 'article.commit');
    expect(await page.$$eval('article.commit', (commits) => commits.map((commit) => commit.getAttribute('data-commit')))).toEqual(['a1b2c3d4e5f6', 'f6e5d4c3b2a1']);
    expect(await page.$eval('article.commit h3', (title) => title.textContent)).toBe('a1b2c3d web: port 8081');
    expect(await page.$$eval('article.commit .diff .added', (lines) => lines.map((line) => line.textContent))).toEqual(['  + web  added\n']);
  });

  it('closes its streams when the page is left, so the seventh full load still gets a connection', async () => {
    const page = await harness.open('/', 'tr[data-service]');
    for (const path of ['/graph', '/services/web', '/plan', '/', '/services/db', '/graph', '/']) {
      await page.goto(backend().url + path, { waitUntil: 'domcontentloaded', timeout: 5000 });
      await waitForSelector(page, 'header nav');
    }
    await waitFor(() => backend().streams.size === 1, 5000, 'one open /api/v1/stream');
  });
});
