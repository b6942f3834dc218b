// Issue 27's figures of `stack dashboard` (src/api/dashboard, src/dashboard-ui): the page's first
// full render of 50 services in Debian's headless Chromium, over a controller and without one, by
// the printed link (its 303 included) and by a reload of the tab; and the bundle's size, raw and
// gzip. BENCH_ONLY=dashboard.
/* global document, window, MutationObserver, requestAnimationFrame -- watchForTable, timings and the probes in timedLoad run in the page */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import puppeteer from 'puppeteer-core';
import { endPid, countSleeps, median, NODE, run, SLEEP_MARK, SNAPSHOT, STACK, startTracked, sweep, tempDir, timeCommand, track, waitUntil } from '../lib.mjs';

const SERVICES = 50;
const CHROMIUM = process.env.STACK_TEST_CHROMIUM ?? '/usr/bin/chromium';
const RENDER = 'dashboard: first full render, 50 services';
const BUNDLE = 'dashboard bundle';
/** The build's level (scripts/build.mjs). */
const GZIP_LEVEL = 9;

const sleeps = (n) => Array.from({ length: n }, (_, i) => `  d${i}:\n    command: [sleep, "${SLEEP_MARK}"]\n`).join('');

/**
 * Installed in every document before its own scripts (evaluateOnNewDocument): `window.__render`
 * resolves at the first animation frame after the services table holds all `want` rows with
 * `running` in their OBSERVED cells (the frame that paints it), read with performance.now(),
 * whose origin is the navigation's start (before the token's redirect, when there is one).
 */
function watchForTable(want) {
  const whole = () => {
    const cells = document.querySelectorAll('tr[data-service] td.col-observed');
    if (cells.length !== want) return false;
    for (const cell of cells) if (cell.textContent !== 'running') return false;
    return true;
  };
  window.__render = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (!whole()) return;
      observer.disconnect();
      const inDom = performance.now();
      requestAnimationFrame(() => resolve({ inDom, frame: performance.now() }));
    });
    observer.observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/** Where the time went in the page, from its own timings (ms since the navigation's start). */
function timings() {
  const [navigation] = performance.getEntriesByType('navigation');
  const resource = (suffix) => performance.getEntriesByType('resource').find((entry) => new URL(entry.name).pathname === suffix);
  const paint = (name) => performance.getEntriesByName(name)[0]?.startTime;
  return {
    redirect: navigation.redirectEnd,
    html: navigation.responseEnd,
    'app.js': resource('/assets/app.js')?.responseEnd,
    domContentLoaded: navigation.domContentLoadedEventEnd,
    'first paint': paint('first-contentful-paint'),
    session: resource('/api/v1/session')?.responseEnd,
    status: resource('/api/v1/status')?.responseEnd,
    'status asked': resource('/api/v1/status')?.startTime,
  };
}

/** `stack dashboard -f file` and the link it printed (with its one-time token). */
async function startDashboard(file) {
  const child = startTracked([NODE, STACK, '-f', file, 'dashboard'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (err += chunk));
  let link;
  await waitUntil(() => {
    if (child.exitCode !== null) throw new Error(`stack dashboard exited ${child.exitCode}: ${err || out}`);
    return (link = /http:\/\/\S+\?token=\S+/.exec(out)?.[0]);
  }, { timeoutMs: 20_000, what: 'stack dashboard to print its link' });
  return { pid: child.pid, link };
}

async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run \`bash scripts/test-env.sh\` as root, or set STACK_TEST_CHROMIUM`);
  // As tests/support/browser.ts: Chromium refuses to sandbox as root.
  const asRoot = process.getuid?.() === 0;
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...(asRoot ? ['--no-sandbox'] : []), '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: 20_000,
  });
  track(browser.process()?.pid);
  return browser;
}

/** One navigation (`go` starts it) to the whole table: the in-page figure and its breakdown. */
async function timedLoad(page, go) {
  await go();
  const render = await page.evaluate(() => Promise.race([window.__render, new Promise((resolve) => setTimeout(() => resolve(undefined), 20_000))]));
  if (!render) throw new Error(`the table of ${SERVICES} running services did not appear within 20 s; the page shows: ${JSON.stringify((await page.evaluate(() => document.body?.innerText ?? '')).slice(0, 300))}`);
  return { ms: render.frame, inDom: render.inDom, ...(await page.evaluate(timings)) };
}

/**
 * A fresh `stack dashboard` on `file`; its link in a fresh browser context (its own cookies and
 * cache, a renderer of its own), then a reload of that tab (the cookie held).
 */
async function measureCase(browser, file, problems) {
  const dashboard = await startDashboard(file);
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
    await page.setViewport({ width: 1280, height: 720 });
    await page.evaluateOnNewDocument(watchForTable, SERVICES);
    const link = await timedLoad(page, () => page.goto(dashboard.link, { waitUntil: 'domcontentloaded' }));
    if (!(link.redirect > 0)) throw new Error('the link\'s redirect is not in the navigation\'s timings');
    const reload = await timedLoad(page, () => page.reload({ waitUntil: 'domcontentloaded' }));
    return { link, reload };
  } finally {
    await context.close().catch(() => undefined);
    await endPid(dashboard.pid);
  }
}

/** app.js and app.css as the dashboard serves them (the bench's snapshot of dist/dashboard/). */
function bundleSizes(results) {
  const kib = (bytes) => bytes / 1024;
  let gzipTotal = 0;
  for (const name of ['app.js', 'app.css']) {
    const bytes = readFileSync(join(SNAPSHOT, 'dist/dashboard', name));
    const gzip = gzipSync(bytes, { level: GZIP_LEVEL }).length;
    gzipTotal += gzip;
    results.record(BUNDLE, `${name}, raw`, [kib(bytes.length)], 'KiB');
    results.record(BUNDLE, `${name}, gzip -${GZIP_LEVEL}`, [kib(gzip)], 'KiB');
  }
  results.record(BUNDLE, `app.js + app.css, gzip -${GZIP_LEVEL}`, [kib(gzipTotal)], 'KiB');
}

function printBreakdown(label, samples) {
  const keys = Object.keys(samples[0]).filter((key) => key !== 'ms');
  const parts = keys.map((key) => {
    const values = samples.map((sample) => sample[key]).filter(Number.isFinite);
    return values.length ? `${key} ${median(values).toFixed(1)}` : `${key} n/a`;
  });
  console.log(`  ${label}, medians (ms since the navigation's start): ${parts.join(', ')}`);
}

/**
 * 50 sleeps under `stack watch` and 50 more applied without a controller (another folder); one
 * Chromium, launched once and warmed by one unmeasured load of each case; then each round, for
 * each case in turn: a fresh `stack dashboard`, its link in a fresh context, then a reload.
 */
export async function dashboardScenario({ results, rounds, stack }) {
  bundleSizes(results);
  const controlled = tempDir('bench-dashboard-controlled-');
  const daemonless = tempDir('bench-dashboard-daemonless-');
  let browser;
  try {
    timeCommand([NODE, STACK, '-f', stack.sleepsFile(daemonless, SERVICES), 'apply', '--yes', '--parallel', '8']);
    await stack.watch(controlled, sleeps(SERVICES), () => countSleeps() === 2 * SERVICES && existsSync(join(controlled, '.stack', 'api.sock')));
    browser = await launchBrowser();
    const loadBefore = loadavg()[0];
    const cases = [
      { label: 'controller', file: join(controlled, 'stack.yaml') },
      { label: 'no controller', file: join(daemonless, 'stack.yaml') },
    ];
    const problems = [];
    for (const one of cases) await measureCase(browser, one.file, problems);
    const samples = new Map(cases.flatMap((one) => [[`${one.label}, link`, []], [`${one.label}, reload`, []]]));
    for (let round = 0; round < rounds; round += 1) {
      for (const one of cases) {
        try {
          const { link, reload } = await measureCase(browser, one.file, problems);
          samples.get(`${one.label}, link`).push(link);
          samples.get(`${one.label}, reload`).push(reload);
        } catch (error) {
          console.error(`  dashboard round ${round + 1}, ${one.label}: ${error.message}`);
          samples.get(`${one.label}, link`).push({ ms: Number.NaN });
          samples.get(`${one.label}, reload`).push({ ms: Number.NaN });
        }
      }
    }
    for (const [label, values] of samples) results.record(RENDER, label, values.map((value) => value.ms));
    // Two cores shared with other work: the load says how much of the figures is waiting for a core.
    console.log(`  load average (1 min) at the start ${loadBefore.toFixed(2)}, at the end ${loadavg()[0].toFixed(2)}`);
    for (const [label, values] of samples) {
      const whole = values.filter((value) => Number.isFinite(value.ms));
      if (whole.length) printBreakdown(label, whole);
    }
    if (problems.length) console.error(`  the page reported: ${[...new Set(problems)].join(' | ')}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await stack.cleanup(controlled);
    run([NODE, STACK, '-f', join(daemonless, 'stack.yaml'), 'down', '--yes', '--parallel', '8']);
    await sweep();
  }
}
