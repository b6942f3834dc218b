import { existsSync } from 'node:fs';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchBrowser, openPage, pageProblems } from '../support/browser.js';
import { startFakeBackend, type FakeBackend } from './fake-backend.js';

// One Chromium and one fake backend per test file; every page a test opens is checked for
// errors (uncaught, or a CSP refusal) and closed after it.

export interface Harness {
  readonly backend: FakeBackend;
  open(path: string, selector: string): Promise<Page>;
}

export function browserHarness(): Harness {
  let browser: Browser | undefined;
  let backend: FakeBackend | undefined;
  const pages: Page[] = [];
  beforeAll(async () => {
    if (!existsSync(new URL('../../dist/dashboard/app.js', import.meta.url))) throw new Error('dist/dashboard/app.js is missing: run `npm run build` first');
    backend = await startFakeBackend();
    browser = await launchBrowser();
  });
  afterEach(async () => {
    for (const page of pages.splice(0)) {
      expect(pageProblems(page), 'errors in the page').toEqual([]);
      await page.close();
    }
    if (backend) backend.posted.length = 0;
  });
  afterAll(async () => {
    await browser?.close();
    await backend?.close();
  });
  return {
    get backend() {
      if (!backend) throw new Error('the fake backend is not started yet');
      return backend;
    },
    async open(path, selector) {
      if (!browser || !backend) throw new Error('the browser is not started yet');
      const page = await openPage(browser, backend.url + path, selector);
      pages.push(page);
      return page;
    },
  };
}
