import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

// A real headless Chromium for the dashboard's page: Debian's `chromium` (scripts/test-env.sh
// installs it), driven by puppeteer-core, which brings no browser of its own.

export const CHROMIUM = process.env.STACK_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** What went wrong in the page (uncaught errors, console errors such as CSP refusals), kept per page. */
const problems = new WeakMap<Page, string[]>();

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run \`bash scripts/test-env.sh\` as root (it installs Debian's chromium), or set STACK_TEST_CHROMIUM`);
  // Chromium refuses to sandbox as root; the page is our own, served locally.
  const asRoot = process.getuid?.() === 0;
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...(asRoot ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: 20_000,
  });
}

/** Opens `url` in a new tab (of `browser`, or of one of its contexts: its own cookies) and waits for `selector` to appear, within `timeoutMs`. */
export async function openPage(browser: Pick<Browser, 'newPage'>, url: string, selector: string, timeoutMs = 10_000): Promise<Page> {
  const page = await browser.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (error) => seen.push(`page error: ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.push(`console: ${message.text()}${message.location().url ? ` (${message.location().url})` : ''}`);
  });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await waitForSelector(page, selector, timeoutMs);
  return page;
}

/** Waits for `selector`; a timeout says what the page showed and any error it had. */
export async function waitForSelector(page: Page, selector: string, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForSelector(selector, { timeout: timeoutMs });
  } catch (error) {
    throw new Error(`${selector} did not appear within ${timeoutMs} ms. ${await describe(page)}`, { cause: error });
  }
}

/** A probe runs in the page this often. */
const PROBE_MS = 50;

/**
 * Polls `probe` in the page until it returns true, within `timeoutMs`. On an interval, not on
 * mutations: puppeteer's mutation polling does not see text changes (characterData), and preact
 * changes a cell's text in place.
 */
export async function waitInPage(page: Page, what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(probe, { timeout: timeoutMs, polling: PROBE_MS });
  } catch (error) {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}. ${await describe(page)}`, { cause: error });
  }
}

/** The page's uncaught errors and console errors so far. */
export function pageProblems(page: Page): string[] {
  return [...(problems.get(page) ?? [])];
}

async function describe(page: Page): Promise<string> {
  const text = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '(unreadable)');
  const seen = pageProblems(page);
  return `The page shows: ${JSON.stringify(text.slice(0, 600))}${seen.length ? `; problems: ${seen.join(' | ')}` : ''}`;
}
