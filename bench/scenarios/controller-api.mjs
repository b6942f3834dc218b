// Issue 25's figures of the controller's API (docs/api.md), stack only: the peers have no such
// API (pm2 jlist and supervisorctl status are in "status N"). BENCH_ONLY=api runs all three,
// api-status, api-events or api-rss one.
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { countSleeps, median, NODE, now, rssKiB, run, SLEEP_MARK, sleep, STACK, sweep, tempDir, timeCommand, waitUntil, writeFile } from '../lib.mjs';

const CLIENT = new URL('../api-status-client.cjs', import.meta.url).pathname;
const socketOf = (dir) => join(dir, '.stack', 'api.sock');
const sleeps = (n, prefix = 's') => Array.from({ length: n }, (_, i) => `  ${prefix}${i}:\n    command: [sleep, "${SLEEP_MARK}"]\n`).join('');

/** One GET on the controller's socket: { status, body }. */
function apiGet(dir, path) {
  return new Promise((resolve, reject) => {
    const sent = request({ socketPath: socketOf(dir), path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    sent.once('error', reject);
    sent.end();
  });
}

/**
 * Follows an NDJSON route; `onLine(object, arrivedAt)` for every line. Resolves with { status,
 * close } once the answer's head came (a 404 is resolved, not thrown: the route may not exist yet).
 */
function follow(dir, path, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const sent = request({ socketPath: socketOf(dir), path }, (response) => {
      const close = () => response.destroy();
      if (response.statusCode !== 200) {
        response.resume();
        return resolve({ status: response.statusCode, close });
      }
      let pending = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        const arrivedAt = now();
        pending += chunk;
        for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 1);
          if (line.trim()) onLine(JSON.parse(line), arrivedAt);
        }
      });
      response.on('error', () => {});
      resolve({ status: 200, close });
    });
    sent.once('error', reject);
    sent.end();
  });
}

async function watchWithApi(stack, dir, body, until) {
  const pid = await stack.watch(dir, body, until);
  await waitUntil(() => existsSync(socketOf(dir)), { what: 'the API socket' });
  return pid;
}

/**
 * (a) `stack status --json` of 50 services: under a controller (the fast path; and the full CLI,
 * STACK_NO_FAST_STATUS=1), without one, and the floors: `node -e 0`, a bare socket client, the
 * launcher alone (`--version`) and the bundle with commander (`status --help`). Interleaved.
 */
export async function apiStatusScenario({ results, rounds, stack }) {
  const daemonless = tempDir('bench-api-daemonless-');
  const controlled = tempDir('bench-api-controlled-');
  try {
    const file = writeFile(daemonless, 'stack.yaml', `version: 1\nproject: bench\ndefaults:\n  start: { settle: 0ms }\nservices:\n${sleeps(50)}`);
    timeCommand([NODE, STACK, '-f', file, 'apply', '--yes', '--parallel', '8']);
    const controller = await watchWithApi(stack, controlled, sleeps(50, 'c'), () => countSleeps() === 100);
    const cli = (dir, ...args) => [NODE, STACK, '-f', join(dir, 'stack.yaml'), ...args];
    const statusOf = (label, argv, env = {}, check = () => true) => ({
      label,
      time() {
        const result = run(argv, { env: { ...process.env, ...env } });
        if (result.status !== 0) throw new Error(`${label} exited ${result.status}: ${result.stderr}`);
        check(result.stdout);
        return result.ms;
      },
    });
    const fromController = (stdout) => {
      const body = JSON.parse(stdout);
      const running = body.services.filter((row) => row.observed === 'running').length;
      if (body.controller?.pid !== controller || running !== 50) throw new Error(`not the controller's answer (${running} running, controller ${body.controller?.pid})`);
    };
    // stack's output names the controller as the full CLI does: `notice`.
    const namesController = (stdout) => {
      const body = JSON.parse(stdout);
      const running = body.services.filter((row) => row.observed === 'running').length;
      if (!body.notice?.includes(`pid ${controller} `) || running !== 50) throw new Error(`${running} of 50 running; notice: ${body.notice}`);
    };
    const fiftyRunning = (stdout) => {
      const running = JSON.parse(stdout).services.filter((row) => row.observed === 'running').length;
      if (running !== 50) throw new Error(`${running} of 50 running`);
    };
    const subjects = [
      statusOf('node -e 0', [NODE, '-e', '0']),
      statusOf('bare socket client', [NODE, CLIENT, socketOf(controlled)], {}, fromController),
      statusOf('stack --version', [NODE, STACK, '--version']),
      statusOf('stack status --help', cli(controlled, 'status', '--help')),
      statusOf('controller (fast path)', cli(controlled, 'status', '--json'), {}, namesController),
      statusOf('controller (full CLI)', cli(controlled, 'status', '--json'), { STACK_NO_FAST_STATUS: '1' }, namesController),
      statusOf('no controller', cli(daemonless, 'status', '--json'), {}, fiftyRunning),
    ];
    const values = new Map(subjects.map((subject) => [subject.label, []]));
    // One untimed call each first: the bundle writes its code cache on its first run.
    for (const subject of subjects) subject.time();
    for (let round = 0; round < rounds * 4; round += 1) {
      for (const subject of subjects) values.get(subject.label).push(subject.time());
    }
    const scenario = 'status --json of 50';
    for (const subject of subjects) results.record(scenario, subject.label, values.get(subject.label));
    const node = values.get('node -e 0');
    for (const label of ['controller (fast path)', 'controller (full CLI)', 'no controller', 'bare socket client']) {
      results.ratio(`status --json of 50, ${label}`, 'node -e 0', values.get(label), node);
    }
  } finally {
    await stack.cleanup(controlled);
    run([NODE, STACK, '-f', join(daemonless, 'stack.yaml'), 'down', '--yes', '--parallel', '8']);
    await sweep();
  }
}

/**
 * (b) A crash seen on the event stream: a controller with one sleep (restarted at once), a
 * follower of GET /v1/events; kill -9 of the service's process; the time from the kill() call
 * to the `exited` event's arrival at the follower. The service's pid comes from GET /v1/status.
 */
export async function apiEventsScenario({ results, rounds, stack }) {
  const dir = tempDir('bench-api-events-');
  const samples = Math.max(20, rounds * 5);
  const gaps = [];
  try {
    const body = `  crashy:\n    command: [sleep, "${SLEEP_MARK}"]\n    restart: { policy: always, maxRestarts: 100000, backoff: { initial: 0ms, max: 0ms, reset: 1h } }\n`;
    await watchWithApi(stack, dir, body, () => countSleeps() === 1);
    const events = [];
    const follower = await follow(dir, '/v1/events', (event, arrivedAt) => events.push({ event, arrivedAt }));
    await waitUntil(() => events.some(({ event }) => event.type === 'following'), { what: 'the following line' });
    const servicePid = async () => JSON.parse((await apiGet(dir, '/v1/status')).body).services[0]?.pid;
    let pid = await servicePid();
    for (let sample = 0; sample < samples; sample += 1) {
      await waitUntil(async () => Number.isInteger(pid) && countSleeps() === 1, { what: 'the service running' });
      const seen = events.length;
      const killedAt = now();
      process.kill(pid, 'SIGKILL');
      await waitUntil(() => events.slice(seen).some(({ event }) => event.type === 'exited'), { intervalMs: 1, what: 'the exited event' });
      gaps.push(events.slice(seen).find(({ event }) => event.type === 'exited').arrivedAt - killedAt);
      // Restarted: a new pid, and the machine says running again, before the next kill.
      const old = pid;
      await waitUntil(async () => events.slice(seen).some(({ event }) => event.type === 'running') && (pid = await servicePid()) !== old && Number.isInteger(pid), { what: 'the restart' });
    }
    follower.close();
    const sorted = [...gaps].sort((a, b) => a - b);
    const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)];
    results.record('kill -9 → exited event', 'stack', gaps);
    results.record('kill -9 → exited event, p90', 'stack', [p90]);
    console.log(`  ${gaps.length} samples: median ${median(gaps).toFixed(2)} ms, p90 ${p90.toFixed(2)} ms`);
  } finally {
    await stack.cleanup(dir);
    await sweep();
  }
}

/** A service that writes a line every 100 ms without a fork per line (read times out on a pipe nobody writes). */
const TALKER = '#!/bin/bash\nexec 3<> <(:)\nwhile :; do echo "line $((n += 1)) of a service that talks"; read -rt 0.1 -u 3; done\n';

/**
 * (c) The controller's RSS with 50 services that write a line every 100 ms, while the API serves
 * a follower of every log (GET /v1/logs?service=<name>&follow=1). Where that route is not served
 * yet (404), 50 followers of GET /v1/events instead, and the figure says so. RSS is read before
 * the followers, then after they followed for 2 s (the larger of three reads 500 ms apart).
 */
export async function apiRssScenario({ results, rounds, stack }) {
  const before = [];
  const during = [];
  let kind = 'logs';
  for (let round = 0; round < rounds; round += 1) {
    const dir = tempDir('bench-api-rss-');
    const followers = [];
    try {
      const talker = writeFile(dir, 'talk.sh', TALKER);
      const body = Array.from({ length: 50 }, (_, i) => `  t${i}:\n    command: [bash, "${talker}"]\n`).join('');
      const pid = await watchWithApi(stack, dir, body, () => existsSync(join(dir, '.stack', 'logs')));
      await waitUntil(async () => {
        const status = await apiGet(dir, '/v1/status').catch(() => undefined);
        return status?.status === 200 && JSON.parse(status.body).services.filter((row) => row.observed === 'running').length === 50;
      }, { timeoutMs: 60_000, what: '50 services running' });
      await sleep(1000);
      before.push(rssKiB(pid) / 1024);
      let lines = 0;
      for (let i = 0; i < 50; i += 1) {
        const path = kind === 'logs' ? `/v1/logs?service=t${i}&follow=1` : '/v1/events';
        const follower = await follow(dir, path, () => (lines += 1));
        if (follower.status === 404 && kind === 'logs') {
          kind = 'events';
          i -= 1;
          continue;
        }
        if (follower.status !== 200) throw new Error(`GET ${path}: ${follower.status}`);
        followers.push(follower);
      }
      let rss = 0;
      for (let read = 0; read < 3; read += 1) {
        await sleep(read === 0 ? 1000 : 500);
        rss = Math.max(rss, rssKiB(pid) / 1024);
      }
      if (kind === 'logs' && lines < 50 * 10) throw new Error(`the log followers got ${lines} lines in 2 s, not one every 100 ms from each`);
      during.push(rss);
    } catch (error) {
      console.error(`  api-rss round ${round + 1} failed: ${error.message}`);
      during.push(Number.NaN);
    } finally {
      for (const follower of followers) follower.close();
      await stack.cleanup(dir);
      await sweep();
    }
  }
  const following = kind === 'logs' ? 'a follower of every log' : '50 event followers (GET /v1/logs is not served yet)';
  results.record('controller RSS, 50 talking services', 'no follower', before, 'MiB');
  results.record('controller RSS, 50 talking services', following, during, 'MiB');
  return kind;
}
